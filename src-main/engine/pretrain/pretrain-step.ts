/**
 * One shard of one pre-training step: augment, teacher forward, student forward + backward.
 * Returns flat gradients and the statistics the optimiser step needs; it changes no weights.
 * The same function runs in-process (one worker) or in each data-parallel worker thread.
 */
import * as tf from '@tensorflow/tfjs';
import { makeViews } from './augment';
import type { AugmentConfig, Views } from './augment';
import { dinoLoss, koleoLoss, meanEntropy, teacherTargets } from './loss';
import { modelForward } from './pretrain-model';
import type { ModelConfig } from './pretrain-model';
import { createVariables, assignVariables, flattenGrads } from '../model/params';
import type { ParamLayout } from '../model/params';
import { Rng, deriveSeed } from '../model/rng';

export interface StepSettings {
  teacherTemperature: number;
  studentTemperature: number;
  koleoWeight: number;
}

export interface ShardResult {
  /** Mean loss over this shard's images. */
  loss: number;
  /** Mean teacher entropy (nats) over this shard's global views. */
  teacherEntropy: number;
  /** Σ of teacher logits over this shard's global-view rows (for the centre update). */
  teacherSum: Float32Array;
  /** Rows in teacherSum. */
  teacherRows: number;
  /** Images in this shard (gradients are means over them). */
  images: number;
}

let replicaCounter = 0;

/** Student and teacher weights held as tf variables; refreshed from flat arrays every step. */
export class Replica {
  readonly student: Map<string, tf.Variable>;
  readonly teacher: Map<string, tf.Variable>;
  private readonly studentList: tf.Variable[];
  private scratch: Float32Array | null = null;

  constructor(
    readonly model: ModelConfig,
    readonly layout: ParamLayout,
    readonly augment: AugmentConfig,
    student: Float32Array,
    teacher: Float32Array,
    /** Images per forward/backward chunk; 0 = the whole shard at once. */
    readonly microBatch = 0,
  ) {
    const id = replicaCounter++;
    this.student = createVariables(layout, student, `student${id}`);
    this.teacher = createVariables(layout, teacher, `teacher${id}`);
    this.studentList = [...this.student.values()];
  }

  load(student: Float32Array, teacher: Float32Array): void {
    assignVariables(this.layout, student, this.student);
    assignVariables(this.layout, teacher, this.teacher);
  }

  /**
   * Gradients of the shard's mean loss into `gradsOut` (layout order). `images`: `[n, S, S, 3]`
   * in [0, 1]; it is not disposed here. With `microBatch` > 0 the shard is processed in chunks of
   * at most that many images and the gradients accumulated, weighted by chunk size: the peak
   * activation memory shrinks with the chunk (wasm's heap is capped at 4 GB and never shrinks).
   */
  async computeGradients(
    images: tf.Tensor4D,
    augSeed: number,
    center: Float32Array,
    s: StepSettings,
    gradsOut: Float32Array,
  ): Promise<ShardResult> {
    const n = images.shape[0];
    const chunk = this.microBatch > 0 ? this.microBatch : n;
    if (n <= chunk) return await this.chunkGradients(images, augSeed, center, s, gradsOut);
    const part = (this.scratch ??= new Float32Array(gradsOut.length));
    gradsOut.fill(0);
    const total: ShardResult = {
      loss: 0,
      teacherEntropy: 0,
      teacherSum: new Float32Array(center.length),
      teacherRows: 0,
      images: n,
    };
    for (let from = 0, c = 0; from < n; from += chunk, c++) {
      const size = Math.min(chunk, n - from);
      const slice = tf.slice(images, [from, 0, 0, 0], [size, -1, -1, -1]);
      const r = await this.chunkGradients(slice, deriveSeed(augSeed, c), center, s, part);
      slice.dispose();
      const w = size / n;
      for (let i = 0; i < part.length; i++) gradsOut[i]! += w * part[i]!;
      for (let i = 0; i < center.length; i++) total.teacherSum[i]! += r.teacherSum[i]!;
      total.loss += w * r.loss;
      total.teacherEntropy += w * r.teacherEntropy;
      total.teacherRows += r.teacherRows;
    }
    return total;
  }

  private async chunkGradients(
    images: tf.Tensor4D,
    augSeed: number,
    center: Float32Array,
    s: StepSettings,
    gradsOut: Float32Array,
  ): Promise<ShardResult> {
    const n = images.shape[0];
    const views = tf.tidy(
      () => makeViews(images, new Rng(augSeed), this.augment) as unknown as tf.TensorContainer,
    ) as unknown as Views;
    const globalsCount = 2;
    const viewCount = globalsCount + this.augment.localCrops;
    // Teacher first, in its own tidy: only targets and statistics survive, so its activations
    // are freed before the student's backward pass allocates (wasm memory never shrinks).
    const teacherOut = tf.tidy(() => {
      const { logits } = modelForward(this.model, this.teacher, views.globals);
      const targets = teacherTargets(logits, tf.tensor1d(center), s.teacherTemperature);
      return { targets, sum: tf.sum(logits, 0), entropy: meanEntropy(targets) };
    });
    const { value, grads } = tf.variableGrads(() => {
      const g = modelForward(this.model, this.student, views.globals);
      const logits = views.locals
        ? tf.concat([g.logits, modelForward(this.model, this.student, views.locals).logits], 0)
        : g.logits;
      let loss = dinoLoss(
        teacherOut.targets,
        logits as tf.Tensor2D,
        globalsCount,
        viewCount,
        s.studentTemperature,
      );
      if (s.koleoWeight > 0) {
        const halves = tf.split(g.features, globalsCount, 0) as tf.Tensor2D[];
        const koleo = tf.mean(tf.stack(halves.map((h) => koleoLoss(h))));
        loss = tf.add(loss, tf.mul(koleo, s.koleoWeight));
      }
      return loss as tf.Scalar;
    }, this.studentList);
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, v] of this.student) {
      const grad = grads[v.name];
      if (grad) byName[name] = grad;
    }
    await flattenGrads(this.layout, byName, gradsOut);
    const result: ShardResult = {
      loss: (await value.data())[0]!,
      teacherEntropy: (await teacherOut.entropy.data())[0]!,
      teacherSum: (await teacherOut.sum.data()) as Float32Array,
      teacherRows: globalsCount * n,
      images: n,
    };
    tf.dispose([
      value,
      grads,
      teacherOut.targets,
      teacherOut.sum,
      teacherOut.entropy,
      views.globals,
    ]);
    if (views.locals) views.locals.dispose();
    return result;
  }

  dispose(): void {
    tf.dispose([...this.student.values(), ...this.teacher.values()]);
  }
}
