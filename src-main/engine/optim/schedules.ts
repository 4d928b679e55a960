/**
 * Training schedules as pure functions of the step (DESIGN §4, DINO's cosine_scheduler).
 * `step` counts optimiser steps from 0; `total` is the run's number of steps.
 */

/** Half-cosine from `start` (step 0) to `end` (step `total`). */
export function cosine(start: number, end: number, step: number, total: number): number {
  if (total <= 0) return end;
  const t = Math.min(Math.max(step / total, 0), 1);
  return end + (start - end) * 0.5 * (1 + Math.cos(Math.PI * t));
}

/** Learning rate: linear warm-up 0 → peak over `warmup` steps, then cosine peak → min. */
export function learningRate(
  step: number,
  total: number,
  warmup: number,
  peak: number,
  min: number,
): number {
  if (step < warmup) return (peak * step) / warmup;
  return cosine(peak, min, step - warmup, total - warmup);
}

/** Weight decay: cosine 0.04 → 0.4 by default (DINO). */
export function weightDecay(step: number, total: number, start = 0.04, end = 0.4): number {
  return cosine(start, end, step, total);
}

/** Teacher temperature: linear start → end over the first `fraction` of training, then end. */
export function teacherTemperature(
  step: number,
  total: number,
  start = 0.04,
  end = 0.07,
  fraction = 0.3,
): number {
  const warm = Math.floor(total * fraction);
  if (step >= warm) return end;
  return start + ((end - start) * step) / warm;
}

/** EMA momentum of the teacher: cosine 0.996 → 1. */
export function teacherMomentum(step: number, total: number, start = 0.996, end = 1): number {
  return cosine(start, end, step, total);
}
