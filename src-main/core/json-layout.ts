/**
 * The on-disk layout of the project's JSON files: valid JSON with one top-level key per line and,
 * inside a top-level array or object, one item per line. Compared with pretty-printing this keeps
 * a 100k-image index small and fast to write, and a version-control diff of one label edit is one
 * line.
 *
 * The text is built as UTF-8 bytes, not one big string. A cache per top-level field (keyed by item
 * object) keeps each item's encoded line, so rewriting labels.json after one edit stringifies one
 * face and copies the other lines' bytes. A cache is only correct for items that are replaced,
 * never mutated in place: give one only for fields where the owner guarantees that.
 */

export type LineCache = WeakMap<object, { key: string | null; bytes: Buffer }>;

const OPEN = Buffer.from('{\n');
const CLOSE = Buffer.from('\n}\n');
const COMMA_LINE = Buffer.from(',\n');

export function serialiseByLine(
  value: Record<string, unknown>,
  caches: Readonly<Record<string, LineCache>> = {},
): Buffer {
  const parts: Buffer[] = [OPEN];
  let first = true;
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    if (!first) parts.push(COMMA_LINE);
    first = false;
    parts.push(Buffer.from(`${JSON.stringify(key)}:`));
    pushField(parts, field, Object.hasOwn(caches, key) ? caches[key] : undefined);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

function pushField(parts: Buffer[], field: unknown, cache: LineCache | undefined): void {
  const items: [string | null, unknown][] | null = Array.isArray(field)
    ? field.map((item: unknown) => [null, item])
    : isPlainObject(field)
      ? Object.entries(field).filter(([, item]) => item !== undefined)
      : null;
  if (items === null) {
    parts.push(Buffer.from(JSON.stringify(field) ?? 'null'));
    return;
  }
  const [open, close] = Array.isArray(field) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) {
    parts.push(Buffer.from(open + close));
    return;
  }
  parts.push(Buffer.from(`${open}\n`));
  items.forEach(([key, item], index) => {
    if (index > 0) parts.push(COMMA_LINE);
    parts.push(encodeItem(key, item, cache));
  });
  parts.push(Buffer.from(`\n${close}`));
}

/** One item's line: `"key":{...}` inside an object, `{...}` inside an array. */
function encodeItem(key: string | null, item: unknown, cache: LineCache | undefined): Buffer {
  const cacheable = cache !== undefined && typeof item === 'object' && item !== null;
  if (cacheable) {
    const hit = cache.get(item);
    if (hit !== undefined && hit.key === key) return hit.bytes;
  }
  const prefix = key === null ? '' : `${JSON.stringify(key)}:`;
  const bytes = Buffer.from(prefix + (JSON.stringify(item) ?? 'null'));
  if (cacheable) cache.set(item, { key, bytes });
  return bytes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
