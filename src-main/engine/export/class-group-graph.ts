/**
 * The one-of-N groups of an attributes graph (engine/attributes/class-groups.ts): from the head's
 * taps side by side, per group one MatMul + AddV2 (its affine map, standardisation and temperature
 * folded in) and a Softmax, so each group's probabilities sum to 1. backbone-head-graph.ts joins
 * them after the yes/no attributes in the `attributes` output.
 */
import { StudioError } from '../../shared/errors';
import type { ModelCard } from '../../shared/model-card';
import {
  classGroupAffine,
  type ClassGroupHead,
  type GroupAffine,
} from '../attributes/class-groups';
import type { GraphBuilder } from './graph-builder';

/** Each group's `[n, C]` probabilities, in `groups` order, from the flat taps `parts`. */
export function classGroupOutputs(
  g: GraphBuilder,
  parts: readonly string[],
  dim: number,
  groups: readonly GroupAffine[],
): string[] {
  if (groups.length === 0) return [];
  const features = g.scoped('groups', () =>
    parts.length === 1 ? parts[0]! : g.concat([...parts], 1),
  );
  return groups.map((group, i) =>
    g.scoped(`groups/${i}`, () => {
      const k = group.bias.length;
      if (group.weights.length !== dim * k)
        throw new Error(
          `Group ${group.name}'s weights hold ${group.weights.length} values; ${dim} features → ${k} classes need ${dim * k}`,
        );
      const scores = g.add2(
        g.matMul(
          features,
          g.constant(`head.group${i}.weights`, Float32Array.from(group.weights), [dim, k]),
        ),
        g.constant(`head.group${i}.bias`, Float32Array.from(group.bias), [k]),
      );
      return g.unary('Softmax', scores);
    }),
  );
}

/**
 * The groups' affine maps for the graph of `card`, after checking that the card names the same
 * groups with the same classes in the same order (a card without `groups` takes none).
 */
export function cardGroupAffine(
  card: Pick<ModelCard, 'id' | 'task' | 'groups'>,
  groups: readonly ClassGroupHead[],
  dim: number,
): GroupAffine[] {
  const named = card.groups ?? [];
  const given = groups.map((h) => ({ name: h.name, classes: h.classes }));
  if (groups.length > 0 && card.task !== 'attributes')
    throw new StudioError(
      'invalid-payload',
      `Cannot export model ${card.id}: one-of-N groups belong to an attributes head, not ${card.task}`,
    );
  if (JSON.stringify(named) !== JSON.stringify(given))
    throw new StudioError(
      'invalid-payload',
      `Cannot export model ${card.id}: card.groups is ${JSON.stringify(named)}; the head's groups are ${JSON.stringify(given)}`,
    );
  return classGroupAffine(groups, dim);
}
