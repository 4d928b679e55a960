/**
 * A backbone comparison on a project's own labelled faces (docs/ARCHITECTURE.md, "Backbones and
 * tasks"): for one task, each face backbone the app offers gets the closed-form head fitted on the
 * train split and is scored on val and test, beside the baseline (mean shape for landmarks,
 * majority class for attributes and expression). Saved in the project (models/, see
 * engine/jobs/run-folder.ts) so the Models view shows the last one and one-click starts from its
 * winner. No Node imports: shared by all processes.
 */
import { z } from 'zod';
import { FinetuneTaskName } from './model-card';

/** One split's score: the task's metric, and for landmarks the failure rate (NME > 10%). */
export const SplitScore = z
  .object({
    /** NME (landmarks, inter-ocular, lower is better) or accuracy (higher is better). */
    value: z.number(),
    /** Landmarks: faces with NME > 10%; null for the classifying tasks. */
    failureRate: z.number().nullable(),
    /** Faces the figure rests on. */
    faces: z.number().int().nonnegative(),
  })
  .strict();
export type SplitScore = z.infer<typeof SplitScore>;

export const ComparisonRow = z
  .object({
    backboneId: z.string().min(1),
    name: z.string(),
    kind: z.enum(['geometry', 'appearance', 'learned']),
    /** SPDX id of the weights' licence; `none` for the studio's own. */
    licence: z.string(),
    attribution: z.string(),
    /** npm package (with version) the weights ship in; null when made by the studio. */
    package: z.string().nullable(),
    /** Taps the head read. */
    taps: z.array(z.string()),
    /** null when the split has no labelled faces (or the backbone failed). */
    val: SplitScore.nullable(),
    test: SplitScore.nullable(),
    /** Milliseconds per face to predict: backbone passes (as is and mirrored for landmarks) and head. */
    msPerFace: z.number().nonnegative().nullable(),
    /** Why the backbone has no scores (it failed to load or to fit); null when it ran. */
    error: z.string().nullable(),
  })
  .strict();
export type ComparisonRow = z.infer<typeof ComparisonRow>;

export const BackboneComparison = z
  .object({
    format: z.literal('face-studio-backbone-comparison'),
    version: z.literal(1),
    task: FinetuneTaskName,
    createdAt: z.string(),
    /** The metric of `value`: `nme` (landmarks) or `accuracy` (mean over attributes). */
    metric: z.enum(['nme', 'accuracy']),
    lowerIsBetter: z.boolean(),
    /** Labelled faces of each split the comparison used. */
    faces: z
      .object({
        train: z.number().int().nonnegative(),
        val: z.number().int().nonnegative(),
        test: z.number().int().nonnegative(),
      })
      .strict(),
    baseline: z
      .object({
        /** `mean shape` or `majority class`, fitted on train like the heads. */
        name: z.string(),
        val: SplitScore.nullable(),
        test: SplitScore.nullable(),
      })
      .strict(),
    rows: z.array(ComparisonRow),
    /**
     * The best backbone on the split named by `chosenBy` (val when it has faces, else test);
     * null when no backbone was scored.
     */
    winner: z.string().nullable(),
    chosenBy: z.enum(['val', 'test']).nullable(),
  })
  .strict();
export type BackboneComparison = z.infer<typeof BackboneComparison>;

/** Live progress of a comparison: which backbone, how far. */
export const ComparisonProgress = z
  .object({
    /** The backbone at work now. */
    backboneId: z.string(),
    /** Backbones finished, of `total`. */
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    /** `embedding` (faces through the backbone, `faces` of `facesTotal`), `fitting`, `scored`. */
    stage: z.enum(['loading', 'embedding', 'fitting', 'scored']),
    faces: z.number().int().nonnegative(),
    facesTotal: z.number().int().nonnegative(),
  })
  .strict();
export type ComparisonProgress = z.infer<typeof ComparisonProgress>;
