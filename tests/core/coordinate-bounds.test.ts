/**
 * The bound on points and boxes: x in [−w, 2w], y in [−h, 2h], ends included, NaN outside, for
 * an image whose width and height differ so that an axis mix-up shows.
 */
import { describe, expect, it } from 'vitest';
import { coordinateProblems } from '../../src-main/core/coordinate-bounds';

const SIZE = { width: 100, height: 40 };
const ALLOWED = '(allowed: x -100..200, y -40..80 for a 100×40 image)';

const pointProblems = (x: number, y: number, names?: string[]) =>
  coordinateProblems(
    {
      points: [
        { x: 1, y: 2 },
        { x, y },
      ],
    },
    SIZE,
    names,
  );

const boxProblems = (x: number, y: number, width: number, height: number) =>
  coordinateProblems({ points: [], box: { x, y, width, height } }, SIZE);

describe('coordinateProblems', () => {
  it('allows points on every end of the range', () => {
    for (const [x, y] of [
      [-100, -40],
      [200, 80],
      [-100, 80],
      [200, -40],
      [0, 0],
    ] as const) {
      expect(pointProblems(x, y)).toEqual([]);
    }
  });

  it('refuses a point just past each end, naming it by index and values', () => {
    expect(pointProblems(-100.5, 3)).toEqual([
      `point 1 (x -100.5, y 3) is too far outside the image ${ALLOWED}`,
    ]);
    expect(pointProblems(200.5, 3)).toHaveLength(1);
    expect(pointProblems(3, -40.5)).toHaveLength(1);
    expect(pointProblems(3, 80.5)).toEqual([
      `point 1 (x 3, y 80.5) is too far outside the image ${ALLOWED}`,
    ]);
  });

  it('refuses a coordinate that is not a number', () => {
    expect(pointProblems(Number.NaN, 3)).toHaveLength(1);
    expect(pointProblems(3, Number.NaN)).toHaveLength(1);
  });

  it("names a point by the schema's name when it has one", () => {
    expect(pointProblems(300, 3, ['chin', 'nose'])[0]).toMatch(/^point 1 nose \(x 300, y 3\) is/);
    expect(pointProblems(300, 3, ['chin', ''])[0]).toMatch(/^point 1 \(x 300/);
    expect(pointProblems(300, 3, ['chin'])[0]).toMatch(/^point 1 \(x 300/);
  });

  it('lists every point outside, in order', () => {
    const problems = coordinateProblems(
      {
        points: [
          { x: 500, y: 0 },
          { x: 0, y: 0 },
          { x: 0, y: -99 },
        ],
      },
      SIZE,
    );
    expect(problems.map((p) => p.split(' (')[0])).toEqual(['point 0', 'point 2']);
  });

  it('allows a box whose corners lie on the ends of the range', () => {
    expect(boxProblems(-100, -40, 300, 120)).toEqual([]);
  });

  it('refuses a box with any corner past the range, naming the box', () => {
    expect(boxProblems(-101, 0, 10, 10)).toEqual([
      `the box (x -101, y 0, 10×10) is too far outside the image ${ALLOWED}`,
    ]);
    expect(boxProblems(0, -41, 10, 10)).toHaveLength(1);
    expect(boxProblems(150, 0, 51, 10)).toHaveLength(1);
    expect(boxProblems(0, 60, 10, 21)).toHaveLength(1);
  });
});
