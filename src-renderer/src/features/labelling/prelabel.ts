/**
 * Model-assisted labelling, the pure parts: which models can pre-label this project's faces, the
 * colour a predicted point gets from its uncertainty, and the index that finds the predicted
 * point a person should check next across every face ("next most uncertain").
 */
import type { FaceAnnotation } from '$shared/domain';
import type { ModelInfo } from '$shared/training';
import type { ListImages } from './image-navigation';
import { mostUncertain, type Points } from './model/face-record';

/** Landmark models whose output is this schema's points, newest first. */
export function landmarkModels(
  models: readonly ModelInfo[],
  schema: { id: string; pointCount: number },
): ModelInfo[] {
  return models
    .filter(
      (m) =>
        m.task === 'landmarks' &&
        m.card.schema !== null &&
        m.card.schema.points.length === schema.pointCount,
    )
    .sort((a, b) => {
      // The project's own schema first, then the newest.
      const own = Number(b.card.schema?.id === schema.id) - Number(a.card.schema?.id === schema.id);
      return own !== 0 ? own : b.createdAt.localeCompare(a.createdAt);
    });
}

/**
 * Uncertainty is a fraction of the face box side (`Landmark.uncertainty`). At 6% of the box —
 * about 15% of the inter-ocular distance, past the 10% failure threshold of NME — a point is
 * as doubtful as the scale shows: red. 0 is green.
 */
export const UNCERTAINTY_RED_AT = 0.06;

/** Hue steps of the scale: the painter strokes one path per colour, so keep them few. */
export const UNCERTAINTY_STEPS = 20;

/** Green (sure) through yellow to red (doubtful), as an `hsl()` colour. */
export function uncertaintyColour(uncertainty: number): string {
  const t = Math.min(1, Math.max(0, uncertainty / UNCERTAINTY_RED_AT));
  const hue = (120 / UNCERTAINTY_STEPS) * Math.round(UNCERTAINTY_STEPS * (1 - t));
  return `hsl(${hue}, 90%, 50%)`;
}

/** Where the next doubtful point is: an image (by library position) and a point on its face. */
export interface Doubt {
  imageId: string;
  position: number;
  point: number;
  uncertainty: number;
}

/**
 * The most uncertain predicted point of every face seen, by image. The labeller fills it by
 * scanning the labelled faces once, then keeps the face on screen up to date as points are
 * confirmed or moved; a pre-label job makes it stale (it is scanned again on the next ask).
 */
export class DoubtIndex {
  readonly #byImage = new Map<string, Doubt>();

  get size(): number {
    return this.#byImage.size;
  }

  /** Records a face's points; a face with no predicted point leaves the index. */
  set(imageId: string, position: number, points: Points): void {
    const worst = mostUncertain(points);
    if (!worst) this.#byImage.delete(imageId);
    else
      this.#byImage.set(imageId, {
        imageId,
        position,
        point: worst.index,
        uncertainty: worst.uncertainty,
      });
  }

  clear(): void {
    this.#byImage.clear();
  }

  /** The most uncertain point of all; ties go to the earlier image in library order. */
  best(): Doubt | null {
    let best: Doubt | null = null;
    for (const doubt of this.#byImage.values()) {
      if (
        !best ||
        doubt.uncertainty > best.uncertainty ||
        (doubt.uncertainty === best.uncertainty && doubt.position < best.position)
      ) {
        best = doubt;
      }
    }
    return best;
  }
}

export type GetFace = (imageId: string) => Promise<FaceAnnotation | null>;

/** Library records read per request while scanning. */
export const DOUBT_SCAN_PAGE = 500;
/** Faces read at once: enough to hide the round trips, few enough not to flood the bridge. */
export const DOUBT_SCAN_CONCURRENCY = 8;

/**
 * Reads into `index` every face that can hold a doubt: only a face with unconfirmed points has
 * one (`mostUncertain`), and those are the faces to review, so the scan pages through the
 * `needsReview` list alone (each item carries its place in the unfiltered order, which positions
 * index, as navigation's do) rather than the whole library: at 100,000 images with none to
 * review that is one request, not 200 pages and a read of every labelled face.
 */
export async function scanDoubts(
  list: ListImages,
  getFace: GetFace,
  index: DoubtIndex,
): Promise<void> {
  index.clear();
  let total = Infinity;
  for (let offset = 0; offset < total; offset += DOUBT_SCAN_PAGE) {
    const page = await list({ offset, limit: DOUBT_SCAN_PAGE, filter: { needsReview: true } });
    total = page.total;
    for (let i = 0; i < page.items.length; i += DOUBT_SCAN_CONCURRENCY) {
      const batch = page.items.slice(i, i + DOUBT_SCAN_CONCURRENCY);
      const faces = await Promise.all(batch.map((item) => getFace(item.id)));
      faces.forEach((face, j) => {
        const item = batch[j]!;
        if (face) index.set(item.id, item.position, face.points);
      });
    }
    if (page.items.length === 0) break;
  }
}
