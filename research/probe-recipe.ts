/**
 * The probe bench's pre-training recipe (probe.bench.ts; step-check.ts checks its step against
 * PyTorch), the best found so far (research/PRETRAIN_NOTES.md, "The recipe in PyTorch"): the tiny
 * preset at 32 px input (about 4× the 64 px speed, so several epochs fit an hour); a small head
 * and 256 prototypes; a sharp constant teacher temperature; teacher momentum 0.99 (the default
 * 0.996 is an EMA time constant of 250 steps, long for a run of two thousand); four local crops of
 * 16 px (2×2 patches: the derived size at 32 px is a single patch); and a learning rate of 0.004
 * per 256 — five times the 0.02 of earlier runs, whose features collapsed onto two or three
 * directions and scored below random init. Half DINO's colour jitter and no solarising: in PyTorch
 * over two seeds this lifted gender by about two points and left smile as it was (notes, stop 14).
 */
export function probeRecipe(workers: number): Record<string, unknown> {
  return {
    model: { preset: 'tiny', imageSize: 32 },
    batchSize: 16,
    localCrops: 4,
    localSize: 16,
    localScale: [0.1, 0.4],
    globalScale: [0.4, 1],
    colourJitter: 0.5,
    solarize: 0,
    headHidden: 1024,
    prototypes: 256,
    momentum: 0.99,
    teacherTemperature: 0.02,
    teacherTemperatureFinal: 0.02,
    lr: 0.004,
    workers,
    seed: 1,
    // Passes over the pool; the pool is as many faces as the budget allows for them, so the
    // schedules (warm-up, cosine, teacher momentum) run their whole course within it.
    epochs: 6,
    warmupEpochs: 0.1,
    freezePrototypesEpochs: 0,
  };
}
