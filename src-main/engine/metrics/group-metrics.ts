/**
 * Accuracy of one-of-N attributes (engine/attributes/class-groups.ts: MTFL head pose) beside the
 * yes/no attributes': per group, the share of the faces labelled for it whose predicted class is
 * the labelled one; the attributes' headline `meanAccuracy` is the mean over every yes/no
 * attribute and every group measured, for the model and its baseline alike (baselines.ts).
 */

/**
 * Per group, the accuracy over the faces whose `truth` is a class index (NaN: not labelled, left
 * out); NaN for a group no face is labelled for. `truth[i][g]`, `predicted[i][g]`: class indices.
 */
export function groupAccuracy(
  truth: readonly (readonly number[])[],
  predicted: readonly (readonly number[])[],
  groups: number,
): number[] {
  const right = new Array<number>(groups).fill(0);
  const seen = new Array<number>(groups).fill(0);
  truth.forEach((row, i) => {
    for (let g = 0; g < groups; g++) {
      const t = row[g];
      if (t === undefined || Number.isNaN(t)) continue;
      seen[g]!++;
      if (predicted[i]![g] === t) right[g]!++;
    }
  });
  return right.map((r, g) => (seen[g] === 0 ? NaN : r / seen[g]!));
}

/** The mean of the finite values (every attribute and group measured); NaN when none is. */
export function meanOfMeasured(values: readonly number[]): number {
  const known = values.filter((v) => Number.isFinite(v));
  return known.length === 0 ? NaN : known.reduce((a, b) => a + b, 0) / known.length;
}

/** Per group, its most frequent class among the faces labelled for it; ties and none: 0. */
export function majorityGroupClasses(
  train: readonly (readonly number[])[],
  sizes: readonly number[],
): number[] {
  return sizes.map((k, g) => {
    const counts = new Array<number>(k).fill(0);
    for (const row of train) {
      const v = row[g];
      if (v !== undefined && Number.isInteger(v) && v >= 0 && v < k) counts[v]!++;
    }
    return counts.reduce((best, n, c) => (n > counts[best]! ? c : best), 0);
  });
}

/** One group's figures on a set of faces, for `eval`. */
export interface GroupScore {
  /** Faces labelled for the group. */
  faces: number;
  accuracy: number;
  /** Share of the most frequent labelled class among them: what a constant answer scores. */
  majorityRate: number;
}

/**
 * Each group's accuracy over the faces labelled for it with a class of the group (`truth[i]`
 * the face's `classes`, `predicted[i]` the model's), and the majority rate of those faces.
 */
export function groupScores(
  groups: readonly { name: string; classes: readonly string[] }[],
  truth: readonly (Readonly<Record<string, string>> | undefined)[],
  predicted: readonly (Readonly<Record<string, string>> | undefined)[],
): Record<string, GroupScore> {
  return Object.fromEntries(
    groups.map((group) => {
      const counts = new Map<string, number>();
      let right = 0;
      let faces = 0;
      truth.forEach((classes, i) => {
        const t = classes?.[group.name];
        if (t === undefined || !group.classes.includes(t)) return;
        faces++;
        counts.set(t, (counts.get(t) ?? 0) + 1);
        if (predicted[i]?.[group.name] === t) right++;
      });
      const top = Math.max(0, ...counts.values());
      return [
        group.name,
        {
          faces,
          accuracy: faces ? right / faces : NaN,
          majorityRate: faces ? top / faces : NaN,
        },
      ];
    }),
  );
}
