/**
 * How far from its image a landmark or face box may lie. Points slightly outside the frame are
 * real (a chin cut off by the photo's edge, an occluded ear estimated past it), so the bound is
 * generous: one whole image width to the left and right, one height above and below, that is
 * x in [−w, 2w] and y in [−h, 2h]. Anything beyond is a unit mix-up (normalised vs pixels, another
 * image's size) or garbage such as 1e300, which would wreck training crops and the canvas, so the
 * store and every importer refuse it, naming the image and the point.
 */
import type { Box, Landmark } from '../shared/domain';

export interface ImageSize {
  width: number;
  height: number;
}

/** The allowed range on one axis for an image side of `side` pixels. */
function range(side: number): [number, number] {
  return [-side, 2 * side];
}

function outside(value: number, side: number): boolean {
  const [low, high] = range(side);
  return !(value >= low && value <= high);
}

function allowed(size: ImageSize): string {
  const [xl, xh] = range(size.width);
  const [yl, yh] = range(size.height);
  return `x ${xl}..${xh}, y ${yl}..${yh} for a ${size.width}×${size.height} image`;
}

/**
 * Every point and box corner that lies too far outside the image, each as a sentence naming it
 * (`point 3 (x 1e+300, y 5) is outside …`); empty when all are within bounds.
 */
export function coordinateProblems(
  face: { points: readonly Pick<Landmark, 'x' | 'y'>[]; box?: Box | undefined },
  size: ImageSize,
  pointNames?: readonly string[],
): string[] {
  const problems: string[] = [];
  face.points.forEach((point, i) => {
    if (outside(point.x, size.width) || outside(point.y, size.height)) {
      const name = pointNames?.[i] ? ` ${pointNames[i]}` : '';
      problems.push(
        `point ${i}${name} (x ${point.x}, y ${point.y}) is too far outside the image (allowed: ${allowed(size)})`,
      );
    }
  });
  const box = face.box;
  if (
    box &&
    (outside(box.x, size.width) ||
      outside(box.y, size.height) ||
      outside(box.x + box.width, size.width) ||
      outside(box.y + box.height, size.height))
  ) {
    problems.push(
      `the box (x ${box.x}, y ${box.y}, ${box.width}×${box.height}) is too far outside the image (allowed: ${allowed(size)})`,
    );
  }
  return problems;
}
