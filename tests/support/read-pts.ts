/**
 * The points of a 300-W `.pts` file, for tests and scripts that score against the data sets'
 * landmarks without going through the app's own reader (src-main/core/formats/pts.ts).
 */

/** 300-W `.pts`: the lines between `{` and `}`, 1-based pixels → 0-based. */
export function readPts(text: string): { x: number; y: number }[] {
  const body = text.slice(text.indexOf('{') + 1, text.lastIndexOf('}'));
  return body
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .map(([x = NaN, y = NaN]) => ({ x: x - 1, y: y - 1 }));
}
