/**
 * How many images each split holds, and of them how many are labelled (every placed point a
 * person's, or attributes only), how many still need review (points a model or the template
 * placed), and how many have no labels: what `project info` and `splits` print, so a user sees
 * at once whether training will find faces in `train`.
 */
import type { Split } from '../../shared/domain';
import type { ProjectStore } from '../project-store';
import { isLabelled, needsReview } from './library-query';

export interface SplitCount {
  images: number;
  labelled: number;
  needsReview: number;
  unlabelled: number;
}

export type SplitCounts = Record<Split, SplitCount>;

export function splitCounts(store: ProjectStore): SplitCounts {
  const zero = (): SplitCount => ({ images: 0, labelled: 0, needsReview: 0, unlabelled: 0 });
  const counts: SplitCounts = { train: zero(), val: zero(), test: zero(), pool: zero() };
  for (const image of store.listImages()) {
    const count = counts[image.split];
    const face = store.getFace(image.id);
    count.images += 1;
    if (isLabelled(face)) count.labelled += 1;
    else if (needsReview(face)) count.needsReview += 1;
    else count.unlabelled += 1;
  }
  return counts;
}

/** `train 8 (8 labelled) · val 1 (1 labelled) · test 1 (1 labelled) · pool 40 (0 labelled)`. */
export function describeSplitCounts(counts: SplitCounts): string {
  return (['train', 'val', 'test', 'pool'] as const)
    .map((split) => {
      const { images, labelled, needsReview: review } = counts[split];
      const extra = review > 0 ? `, ${review} to review` : '';
      return `${split} ${images} (${labelled} labelled${extra})`;
    })
    .join(' · ');
}
