/**
 * Attribute and expression metrics (docs/ARCHITECTURE.md, "Training recipe"): mean accuracy over
 * binary attributes, expression accuracy, per-class recall and the confusion matrix behind them.
 */

/** `matrix[t][p]` counts faces of true class t predicted as p. */
export function confusionMatrix(
  truth: readonly number[],
  predicted: readonly number[],
  classes: number,
): number[][] {
  if (truth.length !== predicted.length)
    throw new Error(`confusion matrix: ${predicted.length} predictions for ${truth.length} labels`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    if (t < 0 || t >= classes || p < 0 || p >= classes)
      throw new Error(`confusion matrix: class out of range 0..${classes - 1}`);
    m[t]![p]!++;
  });
  return m;
}

/** Recall of each class (diagonal over row sum); NaN for a class with no faces. */
export function perClassRecall(matrix: readonly (readonly number[])[]): number[] {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[i]! / total;
  });
}

/** Fraction of faces on the diagonal. */
export function accuracyOf(matrix: readonly (readonly number[])[]): number {
  let right = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    right += row[i]!;
    total += row.reduce((a, b) => a + b, 0);
  });
  return total === 0 ? NaN : right / total;
}

/** Index of the largest score in each row of `scores` (`[n, classes]`, flat row-major). */
export function argmaxRows(scores: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < scores.length / classes; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
    out.push(best);
  }
  return out;
}

export interface ExpressionMetrics {
  accuracy: number;
  recall: number[];
  confusion: number[][];
}

export function expressionMetrics(
  truth: readonly number[],
  predicted: readonly number[],
  classes: number,
): ExpressionMetrics {
  const confusion = confusionMatrix(truth, predicted, classes);
  return { accuracy: accuracyOf(confusion), recall: perClassRecall(confusion), confusion };
}

export interface AttributeMetrics {
  /** Mean over attributes of each attribute's accuracy. */
  meanAccuracy: number;
  /** Accuracy of each attribute over the faces that have a label for it. */
  accuracy: number[];
}

/**
 * Binary attributes: `truth` holds 1, 0 or NaN (not labelled, skipped) and `probability` the
 * sigmoid outputs, both `[n, attributes]` flat row-major; a probability ≥ 0.5 predicts "yes".
 */
export function attributeMetrics(
  truth: ArrayLike<number>,
  probability: ArrayLike<number>,
  attributes: number,
): AttributeMetrics {
  const right = new Array<number>(attributes).fill(0);
  const seen = new Array<number>(attributes).fill(0);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    if (Number.isNaN(t)) continue;
    const a = i % attributes;
    seen[a]!++;
    if (probability[i]! >= 0.5 === t >= 0.5) right[a]!++;
  }
  const accuracy = right.map((r, a) => (seen[a] === 0 ? NaN : r / seen[a]!));
  const known = accuracy.filter((v) => !Number.isNaN(v));
  return {
    meanAccuracy: known.length === 0 ? NaN : known.reduce((x, y) => x + y, 0) / known.length,
    accuracy,
  };
}
