/**
 * Which backbone taps each head of an attributes or expression model reads (docs/ARCHITECTURE.md,
 * "Backbones and tasks"). One set of backbones is embedded once per face; each head weighs only
 * its own taps, so one model can serve yes/no attributes that read appearance and one-of-N groups
 * (MTFL pose) that read geometry.
 *
 * The rule, fixed per task kind (no choice is made on test faces):
 * - expression: every classify tap of every backbone (the registry's), one classifier;
 * - attributes with both appearance and geometry points among the backbones (the default:
 *   face-api age-gender + mini-Xception + FaceMesh): the yes/no attributes read the appearance
 *   taps only (FaceMesh's taps widen their system and cost them accuracy:
 *   research/APPEARANCE_NOTES.md); the one-of-N groups read the point taps (FaceMesh `mesh`),
 *   alone or beside the appearance taps, whichever cross-validates better on the training rows
 *   (class-groups.ts). The geometry backbone's feature maps are read by no head, so they are not
 *   embedded at all;
 * - attributes otherwise (one backbone, or no points): every head reads every classify tap, the
 *   groups choosing between them and the point taps alone as above.
 *
 * The model card records the selection (`card.head.reads`), training and the class-head job's
 * measuring runner apply it through `selectColumns`, and the exported graph applies it by giving a
 * head zero weight on every column it does not read (`widenColumns`), so predict, eval and
 * pre-label (which run the graph) read exactly what training fitted on.
 */
import { StudioError } from '../../shared/errors';
import type { BackboneKind, FeatureTap } from '../backbones/face-backbone';
import type { HeadTap } from './classifier-head';

/** What the selection needs of a backbone: its id, kind and taps. */
export interface SelectableBackbone {
  id: string;
  kind: BackboneKind;
  taps: readonly Pick<FeatureTap, 'name' | 'kind'>[];
}

export interface HeadTapSelection {
  /** Every tap the model embeds, side by side in this order: the exported graph's features. */
  taps: HeadTap[];
  /** The taps the yes/no attributes (or the expression classes) read, in `taps` order. */
  classifier: HeadTap[];
}

/** `backbone/tap`, as the card writes a tap. */
export const tapName = (t: HeadTap): string => `${t.backbone}/${t.tap}`;

/**
 * The selection for `task` on `backbones` (in order), each offering `classifyTaps(backbone)`
 * (the registry's classify taps): see the module comment.
 */
export function headTapSelection(
  task: 'attributes' | 'expression',
  backbones: readonly SelectableBackbone[],
  classifyTaps: (backbone: SelectableBackbone) => readonly string[],
): HeadTapSelection {
  const all: HeadTap[] = backbones.flatMap((b) =>
    classifyTaps(b).map((tap) => ({ backbone: b.id, tap })),
  );
  if (task === 'expression') return { taps: all, classifier: all };
  const kindOf = (t: HeadTap) => {
    const b = backbones.find((x) => x.id === t.backbone)!;
    return { backbone: b.kind, tap: b.taps.find((x) => x.name === t.tap)?.kind };
  };
  const appearance = all.filter((t) => kindOf(t).backbone !== 'geometry');
  const points = all.filter((t) => kindOf(t).backbone === 'geometry' && kindOf(t).tap === 'points');
  if (appearance.length === 0 || points.length === 0) return { taps: all, classifier: all };
  return {
    taps: all.filter((t) => appearance.includes(t) || points.includes(t)),
    classifier: appearance,
  };
}

/**
 * The columns of `subset`'s taps among `taps` (each `sizes[i]` values wide) side by side,
 * ascending; a tap of `subset` that is not among `taps`, or out of their order, is refused.
 */
export function tapColumns(
  taps: readonly HeadTap[],
  sizes: readonly number[],
  subset: readonly HeadTap[],
): number[] {
  const names = taps.map(tapName);
  const columns: number[] = [];
  let last = -1;
  for (const t of subset) {
    const i = names.indexOf(tapName(t));
    if (i <= last)
      throw new StudioError(
        'invalid-payload',
        `Tap ${tapName(t)} is not one of [${names.join(', ')}] in their order`,
      );
    last = i;
    const at = sizes.slice(0, i).reduce((s, v) => s + v, 0);
    for (let j = 0; j < sizes[i]!; j++) columns.push(at + j);
  }
  return columns;
}

/**
 * `weights` (`[columns.length, outputs]`, row-major) as `[dim, outputs]`: row `columns[s]` is
 * row `s`, every other row zero — a head that reads only `columns` of a `dim`-wide input.
 */
export function widenColumns(
  weights: Float64Array,
  outputs: number,
  columns: readonly number[],
  dim: number,
): Float64Array {
  if (weights.length !== columns.length * outputs)
    throw new StudioError(
      'internal',
      `${weights.length} weights are not ${columns.length} columns × ${outputs} outputs`,
    );
  const out = new Float64Array(dim * outputs);
  columns.forEach((j, s) => {
    if (j >= dim) throw new StudioError('internal', `Column ${j} is outside ${dim} features`);
    out.set(weights.subarray(s * outputs, (s + 1) * outputs), j * outputs);
  });
  return out;
}

/** What the card records of the selection (`card.head.reads`). */
export interface HeadReads {
  classifier: string[];
  groups: { name: string; taps: string[] }[];
}

/**
 * The taps each head reads, as the card records them: the classifier's `classifier`, and each
 * group's from its `columns` of the `taps` (`sizes` wide each; null: all of them). A group whose
 * columns cut a tap in part is refused (the graph's features are whole taps).
 */
export function headReads(
  taps: readonly HeadTap[],
  sizes: readonly number[],
  classifier: readonly HeadTap[],
  groups: readonly { name: string; columns: readonly number[] | null }[],
): HeadReads {
  return {
    classifier: classifier.map(tapName),
    groups: groups.map((g) => {
      if (!g.columns) return { name: g.name, taps: taps.map(tapName) };
      const read = new Set(g.columns);
      const names: string[] = [];
      let at = 0;
      taps.forEach((t, i) => {
        const size = sizes[i]!;
        let inside = 0;
        for (let j = at; j < at + size; j++) if (read.has(j)) inside++;
        if (inside === size) names.push(tapName(t));
        else if (inside > 0)
          throw new StudioError(
            'internal',
            `Group ${g.name} reads ${inside} of the ${size} values of tap ${tapName(t)}`,
          );
        at += size;
      });
      if (names.length === 0)
        throw new StudioError('internal', `Group ${g.name} reads none of the head's taps`);
      return { name: g.name, taps: names };
    }),
  };
}

/** Whether every head of `reads` reads every one of `taps` (the card may then leave it out). */
export function readsEverything(reads: HeadReads, taps: readonly HeadTap[]): boolean {
  const all = JSON.stringify(taps.map(tapName));
  return (
    JSON.stringify(reads.classifier) === all &&
    reads.groups.every((g) => JSON.stringify(g.taps) === all)
  );
}
