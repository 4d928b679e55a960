import { describe, expect, it } from 'vitest';
import {
  MAX_XML_DEPTH,
  decodeXmlBytes,
  escapeXml,
  readXml,
} from '../../../src-main/core/formats/xml-reader';
import { ProblemList, formatProblem } from '../../../src-main/core/problems';

/** The document's root, or the one problem it gives as `file:line: message`. */
function read(text: string) {
  const problems = new ProblemList();
  const root = readXml(text, 'a.xml', problems);
  return { root, problems: problems.problems.map(formatProblem) };
}

describe('XML reader', () => {
  it('reads elements, attributes, text, entities, CDATA and the line of each start tag', () => {
    const text = [
      '\ufeff<?xml version="1.0"?>',
      '<!-- a comment -->',
      `<a x="1" y='&lt;&#65;&#x42;&gt;&quot;&apos;'>`,
      '  t&amp;u<b/><![CDATA[<raw>&amp;]]><?pi x?><!-- in --><c k = "v" >z</c >',
      '<d',
      '  e="2"/></a>',
      '<!-- after -->',
      '',
    ].join('\n');
    expect(read(text)).toEqual({
      root: {
        name: 'a',
        attributes: { x: '1', y: `<AB>"'` },
        text: '\n  t&u<raw>&amp;\n',
        line: 3,
        children: [
          { name: 'b', attributes: {}, children: [], text: '', line: 4 },
          { name: 'c', attributes: { k: 'v' }, children: [], text: 'z', line: 4 },
          { name: 'd', attributes: { e: '2' }, children: [], text: '', line: 5 },
        ],
      },
      problems: [],
    });
  });

  it('reads names with digits, dots, dashes and colons, and character references from U+0001 to U+10FFFF', () => {
    expect(read('<x:a-1.b_c>&#x10FFFF;&#10;&#1;</x:a-1.b_c>').root).toEqual({
      name: 'x:a-1.b_c',
      attributes: {},
      children: [],
      text: '\u{10ffff}\n\u0001',
      line: 1,
    });
  });

  it.each([
    ['<a/>\n\n x', 'a.xml:3: text after the root element'],
    ['<a/><b/>', 'a.xml:1: text after the root element'],
    ['hello', 'a.xml:1: expected "<"'],
    ['', 'a.xml:1: expected "<"'],
    ['<1/>', 'a.xml:1: expected a name'],
    ['<a\n x/>', 'a.xml:2: attribute "x" has no value'],
    ['<a x=1/>', 'a.xml:1: attribute "x" value must be quoted'],
    ['<a x="1/>', 'a.xml:1: attribute "x" is not closed'],
    ['<a x="<"/>', 'a.xml:1: attribute "x" contains "<"'],
    [`<a x="1" x='2'/>`, 'a.xml:1: attribute "x" appears twice'],
    ['<a>\n\ntext', 'a.xml:1: <a> (line 1) is not closed'],
    ['<a>\n<b>\n</a>', 'a.xml:3: </a> closes <b> (line 2)'],
    ['<a></a x>', 'a.xml:1: expected ">"'],
    ['<a>x & y</a>', 'a.xml:1: "&" must start an entity like &amp;'],
    ['<a>&#0;</a>', 'a.xml:1: bad character reference &#0;'],
    ['<a>&#x110000;</a>', 'a.xml:1: bad character reference &#x110000;'],
    ['<a>&#;</a>', 'a.xml:1: bad character reference &#;'],
    ['<a>&nbsp;</a>', 'a.xml:1: unknown entity &nbsp; (entities are not allowed)'],
    ['<!-- x\n', 'a.xml:1: comment is not closed'],
    ['<?xml version="1.0"', 'a.xml:1: processing instruction is not closed'],
    ['<a><![CDATA[x</a>', 'a.xml:1: CDATA section is not closed'],
    [
      '\n<!DOCTYPE a>\n<a/>',
      'a.xml:2: DOCTYPE declarations are not allowed (they can pull in external files)',
    ],
    [
      '<!entity x "y"><a/>',
      'a.xml:1: ENTITY declarations are not allowed (they can pull in external files)',
    ],
    [
      '<a>\n<!DOCTYPE a></a>',
      'a.xml:2: DOCTYPE declarations are not allowed (they can pull in external files)',
    ],
    ['<!FOO><a/>', 'a.xml:1: unexpected "<!FOO"'],
    ['<!><a/>', 'a.xml:1: unexpected "<!"'],
  ])('refuses %j, naming the file and line', (text, problem) => {
    expect(read(text)).toEqual({ root: null, problems: [problem] });
  });

  it(`reads ${MAX_XML_DEPTH} nested elements and refuses one more`, () => {
    const nested = (n: number) => '<e>'.repeat(n) + '</e>'.repeat(n);
    expect(read(nested(MAX_XML_DEPTH)).problems).toEqual([]);
    expect(read(nested(MAX_XML_DEPTH + 1))).toEqual({
      root: null,
      problems: [`a.xml:1: elements are nested more than ${MAX_XML_DEPTH} deep`],
    });
  });

  it('looks for the end of a processing instruction only after its "<?"', () => {
    expect(read('<?><a/>')).toEqual({
      root: null,
      problems: ['a.xml:1: processing instruction is not closed'],
    });
  });

  it('names a declaration only by the word right after its "<!"', () => {
    expect(read('<! <!ENTITY x><a/>').problems).toEqual(['a.xml:1: unexpected "<!"']);
    expect(read('<!xDOCTYPE><a/>').problems).toEqual(['a.xml:1: unexpected "<!xDOCTYPE"']);
    expect(read('<!DOCTYPEx><a/>').problems).toEqual(['a.xml:1: unexpected "<!DOCTYPEx"']);
  });

  it('escapes the five special characters and nothing else', () => {
    expect(escapeXml(`a&b<c>d"e'f é`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f é');
  });

  it('decodes bytes as Latin-1 only when the declaration says so', () => {
    const bytes = (head: string) =>
      Uint8Array.from([...Buffer.from(head, 'latin1'), 0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f]);
    expect(decodeXmlBytes(bytes(`<?xml version="1.0" encoding="ISO-8859-1"?>`))).toMatch(
      /<a>é<\/$/,
    );
    expect(decodeXmlBytes(bytes(`<?xml encoding = 'latin1'?>`))).toMatch(/<a>é<\/$/);
    expect(decodeXmlBytes(bytes(`\xef\xbb\xbf<?xml encoding="Latin-1"?>`))).toMatch(/<a>é<\/$/);
    expect(decodeXmlBytes(bytes(`<?xml encoding="UTF-8"?>`))).toMatch(/<a>\ufffd<\/$/);
    expect(decodeXmlBytes(bytes(`<?xml encoding="iso-8859-15"?>`))).toMatch(/<a>\ufffd<\/$/);
    expect(decodeXmlBytes(bytes(` <?xml encoding="latin1"?>`))).toMatch(/<a>\ufffd<\/$/);
    expect(decodeXmlBytes(Buffer.from('<a>é</a>', 'utf8'))).toBe('<a>é</a>');
  });
});
