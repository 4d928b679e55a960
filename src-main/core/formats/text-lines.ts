/**
 * Line splitting shared by the text formats: files from Windows (CRLF) and editors that write a
 * UTF-8 byte-order mark must read the same as plain LF files.
 */
export interface TextLine {
  /** 1-based, as an editor shows it. */
  number: number;
  text: string;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines without their endings; a final empty line after the last newline is dropped. */
export function splitLines(text: string): TextLine[] {
  const parts = stripBom(text).split(/\r\n|\n|\r/);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((line, i) => ({ number: i + 1, text: line }));
}

/** Whitespace-separated fields; tabs and runs of spaces count as one separator. */
export function fields(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * A finite decimal number or null. Stricter than Number(): '', '0x10', 'NaN', 'Infinity' and
 * '1e999' (overflows to Infinity) are all rejected.
 */
export function parseFiniteNumber(text: string): number | null {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Numbers written back out: enough digits for 1e-6 px, no float noise like 80.97500000000001. */
export function formatNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}
