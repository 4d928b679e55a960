/**
 * Computes one step's averaged gradients, either in this thread or split across worker threads
 * (data parallel: each worker takes a slice of the batch; gradients are averaged weighted by slice
 * size, so the result is the gradient of the whole batch's mean loss). TensorFlow.js wasm runs
 * single-threaded in Node, so workers are how a pre-training step uses more than one core.
 */
import { Worker } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../pretrain/augment';
import type { ModelConfig } from '../pretrain/pretrain-model';
import type { ParamLayout } from '../model/params';
import { Replica } from '../pretrain/pretrain-step';
import type { ShardResult, StepSettings } from '../pretrain/pretrain-step';
import { deriveSeed } from '../model/rng';
import type { FromWorker, ToWorker } from './protocol';

export interface StepOutput extends ShardResult {
  grads: Float32Array;
}

export interface GradientEngine {
  /** `student`/`teacher` are read as they are now; `seed` keys this step's augmentations. */
  step(
    images: tf.Tensor4D,
    seed: number,
    center: Float32Array,
    settings: StepSettings,
  ): Promise<StepOutput>;
  dispose(): Promise<void>;
}

function combine(parts: ShardResult[], gradSlots: Float32Array[], into: Float32Array): StepOutput {
  const images = parts.reduce((a, p) => a + p.images, 0);
  into.fill(0);
  parts.forEach((p, w) => {
    const weight = p.images / images;
    const g = gradSlots[w]!;
    for (let i = 0; i < into.length; i++) into[i]! += weight * g[i]!;
  });
  const teacherSum = new Float32Array(parts[0]!.teacherSum.length);
  for (const p of parts)
    for (let i = 0; i < teacherSum.length; i++) teacherSum[i]! += p.teacherSum[i]!;
  return {
    grads: into,
    loss: parts.reduce((a, p) => a + p.loss * p.images, 0) / images,
    teacherEntropy: parts.reduce((a, p) => a + p.teacherEntropy * p.images, 0) / images,
    teacherSum,
    teacherRows: parts.reduce((a, p) => a + p.teacherRows, 0),
    images,
  };
}

export class InProcessEngine implements GradientEngine {
  private readonly replica: Replica;
  private readonly grads: Float32Array;

  constructor(
    model: ModelConfig,
    private readonly layout: ParamLayout,
    augment: AugmentConfig,
    private readonly student: Float32Array,
    private readonly teacher: Float32Array,
    microBatch = 0,
  ) {
    this.replica = new Replica(model, layout, augment, student, teacher, microBatch);
    this.grads = new Float32Array(layout.total);
  }

  async step(
    images: tf.Tensor4D,
    seed: number,
    center: Float32Array,
    settings: StepSettings,
  ): Promise<StepOutput> {
    this.replica.load(this.student, this.teacher);
    const r = await this.replica.computeGradients(
      images,
      deriveSeed(seed, 0),
      center,
      settings,
      this.grads,
    );
    return { ...r, grads: this.grads };
  }

  async dispose(): Promise<void> {
    this.replica.dispose();
  }
}

/** Starts a worker from a .ts source under tsx (dev, tests) or from a built .js file. */
function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true });
}

export class WorkerPoolEngine implements GradientEngine {
  private constructor(
    private readonly workers: Worker[],
    private readonly slots: Float32Array[],
    private readonly out: Float32Array,
  ) {}

  /** `student`/`teacher` must live in SharedArrayBuffers (the loop allocates them so). */
  static async start(
    count: number,
    model: ModelConfig,
    layout: ParamLayout,
    augment: AugmentConfig,
    student: Float32Array,
    teacher: Float32Array,
    backend: string,
    microBatch = 0,
  ): Promise<WorkerPoolEngine> {
    const url = new URL(
      `./grad-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    const workers: Worker[] = [];
    const slots: Float32Array[] = [];
    for (let i = 0; i < count; i++) {
      const worker = startWorker(url);
      const grads = new SharedArrayBuffer(layout.total * 4);
      slots.push(new Float32Array(grads));
      workers.push(worker);
      const init: ToWorker = {
        type: 'init',
        model,
        augment,
        student: student.buffer as SharedArrayBuffer,
        teacher: teacher.buffer as SharedArrayBuffer,
        grads,
        backend,
        microBatch,
      };
      worker.postMessage(init);
    }
    const pool = new WorkerPoolEngine(workers, slots, new Float32Array(layout.total));
    await Promise.all(workers.map((w) => pool.reply(w)));
    return pool;
  }

  private reply(worker: Worker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker): void => {
        worker.off('error', onError);
        if (msg.type === 'error') reject(new Error(`pre-training worker failed: ${msg.message}`));
        else resolve(msg);
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        reject(error);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
    });
  }

  async step(
    images: tf.Tensor4D,
    seed: number,
    center: Float32Array,
    settings: StepSettings,
  ): Promise<StepOutput> {
    const [n, h, w, c] = images.shape;
    const pixels = (await images.data()) as Float32Array;
    const per = Math.ceil(n / this.workers.length);
    const parts = await Promise.all(
      this.workers.map((worker, i) => {
        const from = Math.min(i * per, n);
        const to = Math.min(from + per, n);
        const msg: ToWorker = {
          type: 'step',
          images: pixels.slice(from * h * w * c, to * h * w * c),
          shape: [to - from, h, w, c],
          augSeed: deriveSeed(seed, i),
          center,
          settings,
        };
        worker.postMessage(msg);
        return this.reply(worker);
      }),
    );
    const results = parts.map((p) => (p as Extract<FromWorker, { type: 'result' }>).result);
    return combine(results, this.slots, this.out);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
