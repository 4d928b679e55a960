/**
 * A small strict XML reader for annotation files (dlib imglab). It reads elements, attributes,
 * text, comments, CDATA and processing instructions, and refuses DOCTYPE and ENTITY declarations
 * outright: they are how external-entity and entity-expansion attacks get in, and no annotation
 * format needs them. Only the five predefined entities and numeric character references are
 * decoded. Every element keeps its line so problems can be reported as `file:line`.
 */
import type { ProblemList } from '../problems';
import { stripBom } from './text-lines';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  /** 1-based line of the start tag. */
  line: number;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
/**
 * Deepest element nesting read. dlib's files nest five deep (dataset, images, image, box, part);
 * the reader recurses once per level, so a limit keeps a hostile file of 100,000 nested tags from
 * overflowing the stack ("Maximum call stack size exceeded", with no file named).
 */
export const MAX_XML_DEPTH = 100;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class XmlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes to text: the declared encoding when it is Latin-1 (dlib writes ISO-8859-1), else UTF-8. */
export function decodeXmlBytes(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^(?:\uFEFF|ï»¿)?<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1];
  const latin1 = declared !== undefined && /^(?:iso-8859-1|latin-?1)$/i.test(declared);
  return new TextDecoder(latin1 ? 'latin1' : 'utf-8').decode(bytes);
}

class Reader {
  private pos = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new XmlSyntaxError(this.line, message);
  }

  private advance(to: number): void {
    for (let i = this.pos; i < to; i += 1) if (this.text.charCodeAt(i) === 10) this.line += 1;
    this.pos = to;
  }

  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private skipPast(end: string, what: string): string {
    const at = this.text.indexOf(end, this.pos);
    if (at < 0) this.fail(`${what} is not closed`);
    const body = this.text.slice(this.pos, at);
    this.advance(at + end.length);
    return body;
  }

  private skipSpace(): void {
    const match = /\s*/y;
    match.lastIndex = this.pos;
    match.exec(this.text);
    this.advance(match.lastIndex);
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected a name');
    this.advance(NAME.lastIndex);
    return match[0];
  }

  private decode(raw: string): string {
    return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) this.fail(`"&" must start an entity like &amp;`);
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (!Number.isInteger(code) || code < 1 || code > 0x10ffff)
          this.fail(`bad character reference &${ref};`);
        return String.fromCodePoint(code);
      }
      const value = PREDEFINED[ref];
      if (value === undefined) this.fail(`unknown entity &${ref}; (entities are not allowed)`);
      return value;
    });
  }

  /** Comments, processing instructions and whitespace between elements. */
  private skipMisc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) {
        this.advance(this.pos + 4);
        this.skipPast('-->', 'comment');
      } else if (this.startsWith('<?')) {
        this.advance(this.pos + 2);
        this.skipPast('?>', 'processing instruction');
      } else if (this.startsWith('<!')) {
        this.refuseDeclaration();
      } else return;
    }
  }

  private refuseDeclaration(): never {
    const what = /^<!(\w+)/.exec(this.text.slice(this.pos, this.pos + 20))?.[1] ?? '';
    this.fail(
      /^(DOCTYPE|ENTITY)$/i.test(what)
        ? `${what.toUpperCase()} declarations are not allowed (they can pull in external files)`
        : `unexpected "<!${what}"`,
    );
  }

  private element(depth = 1): XmlElement {
    const line = this.line;
    if (!this.startsWith('<')) this.fail('expected "<"');
    if (depth > MAX_XML_DEPTH) {
      this.fail(`elements are nested more than ${MAX_XML_DEPTH} deep`);
    }
    this.advance(this.pos + 1);
    const element: XmlElement = { name: this.name(), attributes: {}, children: [], text: '', line };
    for (;;) {
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.advance(this.pos + 2);
        return element;
      }
      if (this.startsWith('>')) {
        this.advance(this.pos + 1);
        break;
      }
      const key = this.name();
      this.skipSpace();
      if (!this.startsWith('=')) this.fail(`attribute "${key}" has no value`);
      this.advance(this.pos + 1);
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute "${key}" value must be quoted`);
      this.advance(this.pos + 1);
      const raw = this.skipPast(quote, `attribute "${key}"`);
      if (raw.includes('<')) this.fail(`attribute "${key}" contains "<"`);
      if (Object.hasOwn(element.attributes, key)) this.fail(`attribute "${key}" appears twice`);
      element.attributes[key] = this.decode(raw);
    }
    for (;;) {
      const next = this.text.indexOf('<', this.pos);
      if (next < 0) this.fail(`<${element.name}> (line ${line}) is not closed`);
      element.text += this.decode(this.text.slice(this.pos, next));
      this.advance(next);
      if (this.startsWith('</')) {
        this.advance(this.pos + 2);
        const name = this.name();
        if (name !== element.name) this.fail(`</${name}> closes <${element.name}> (line ${line})`);
        this.skipSpace();
        if (!this.startsWith('>')) this.fail('expected ">"');
        this.advance(this.pos + 1);
        return element;
      }
      if (this.startsWith('<![CDATA[')) {
        this.advance(this.pos + 9);
        element.text += this.skipPast(']]>', 'CDATA section');
      } else if (this.startsWith('<!--') || this.startsWith('<?') || this.startsWith('<!')) {
        this.skipMisc();
      } else element.children.push(this.element(depth + 1));
    }
  }

  document(): XmlElement {
    this.skipMisc();
    const root = this.element();
    this.skipMisc();
    if (this.pos < this.text.length) this.fail('text after the root element');
    return root;
  }
}

/** The root element, or null after adding the syntax problem (with its line) to `problems`. */
export function readXml(text: string, file: string, problems: ProblemList): XmlElement | null {
  try {
    return new Reader(stripBom(text)).document();
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    problems.add(file, error.line, error.message);
    return null;
  }
}

export function escapeXml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}
