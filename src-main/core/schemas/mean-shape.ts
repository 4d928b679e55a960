/**
 * The mean shape a schema ships as its template: every shape is scaled into its own bounding box
 * (so face size and position drop out), the scaled shapes are averaged, and the mean is scaled into
 * its bounding box again so the template spans exactly 0..1 on both axes.
 */
export type Point2 = readonly [number, number];

export function normaliseToBox(shape: readonly Point2[]): [number, number][] {
  const xs = shape.map((p) => p[0]);
  const ys = shape.map((p) => p[1]);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  // A degenerate box (all points on a line) keeps its zero extent instead of dividing by zero.
  const spanX = Math.max(...xs) - minX || 1;
  const spanY = Math.max(...ys) - minY || 1;
  return shape.map((p) => [(p[0] - minX) / spanX, (p[1] - minY) / spanY]);
}

export function meanShape(shapes: readonly (readonly Point2[])[]): [number, number][] {
  const first = shapes[0];
  if (first === undefined) throw new Error('meanShape needs at least one shape');
  const sum = first.map((): [number, number] => [0, 0]);
  for (const shape of shapes) {
    if (shape.length !== first.length) throw new Error('meanShape: shapes differ in point count');
    normaliseToBox(shape).forEach((p, i) => {
      const s = sum[i]!;
      s[0] += p[0];
      s[1] += p[1];
    });
  }
  return normaliseToBox(sum.map((s) => [s[0] / shapes.length, s[1] / shapes.length]));
}
