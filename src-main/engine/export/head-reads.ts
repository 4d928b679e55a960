/**
 * The card's record of which taps each head of an attributes or expression graph reads
 * (`card.head.reads`; engine/attributes/head-tap-selection.ts), checked against the heads being
 * exported: a card must name exactly what the graph weighs, so a reader of the card (and a later
 * re-export) sees the selection training made.
 */
import type { ModelCard } from '../../shared/model-card';
import type { HeadTap } from '../attributes/classifier-head';
import { headReads, readsEverything } from '../attributes/head-tap-selection';

/**
 * Refuses (through `refuse`, the problem in words) a card whose `head.reads` is not what the
 * classifier on `classifierTaps` and the `groups` read of `features` (the graph's taps in order,
 * each `size` values wide). A card may leave `reads` out only when every head reads every tap.
 */
export function checkHeadReads(
  card: ModelCard,
  features: readonly (HeadTap & { size: number })[],
  classifierTaps: readonly HeadTap[],
  groups: readonly { name: string; columns: readonly number[] | null }[],
  refuse: (problem: string) => never,
): void {
  const expected = headReads(
    features,
    features.map((f) => f.size),
    classifierTaps,
    groups,
  );
  const recorded = card.head?.reads;
  if (!recorded) {
    if (!readsEverything(expected, features))
      refuse(
        `card.head.reads is missing; the heads read ${JSON.stringify(expected)} of the graph's features`,
      );
    return;
  }
  if (JSON.stringify(recorded) !== JSON.stringify(expected))
    refuse(
      `card.head.reads is ${JSON.stringify(recorded)}; the heads read ${JSON.stringify(expected)}`,
    );
}
