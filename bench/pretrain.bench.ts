/**
 * `npm run bench:pretrain`: one pre-training step of the tiny preset (batch 32, 2 global + 6
 * local crops, teacher, centring, AdamW, EMA — the peer script's work) through `pretrain()`.
 * Prints one JSON line per backend/worker setting with `imagesPerSec` (median over steps after 2
 * warm-up steps), peak RSS and tf.memory, then the top kernels of one in-process step (tf.profile).
 * On a shared machine wall time depends on others' load, so each line also gives CPU seconds
 * per step (all threads) and the 1-minute load average.
 * Env: BENCH_STEPS (default 5), BENCH_MICRO=0 skips / BENCH_MICRO_ONLY=1 runs only the
 * micro-benchmarks, BENCH_CPU=0 skips the slow cpu backend, BENCH_PROFILE=0 the profile.
 * `-- --backend NAME` (any of engine/backend.ts's names: webgpu, tensorflow, …) measures that
 * backend alone, one worker (the wasm micro-benchmarks and profile are skipped); it stops with
 * the reason when the backend cannot be used here. Each line names the backend and its device.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src-main/engine/backend';
import { attention } from '../src-main/engine/model/layers/attention';
import { linear } from '../src-main/engine/model/layers/linear';
import { modelLayout } from '../src-main/engine/pretrain/pretrain-model';
import { initParams } from '../src-main/engine/model/params';
import { augmentConfigOf, pretrain, modelConfigOf } from '../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../src-main/engine/pretrain/pretrain-config';
import type { PretrainData } from '../src-main/engine/pretrain/pretrain-data';
import { Replica } from '../src-main/engine/pretrain/pretrain-step';
import { Rng } from '../src-main/engine/model/rng';
import { backendLine, backendNameOf, deviceOf, useBenchBackend } from './bench-backend';

const WARMUP = 2;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);

function randomData(size: number, side: number): PretrainData {
  return {
    size,
    batch: async (indices) =>
      tf.randomUniform([indices.length, side, side, 3], 0, 1, 'float32', indices[0]) as tf.Tensor4D,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(
  backend: string,
  workers: number,
  batch: number,
  steps: number,
  warmup = WARMUP,
): Promise<void> {
  const report = await useBenchBackend(backendNameOf(backend));
  console.log(backendLine(report));
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let peakRss = 0;
  let peakTensorBytes = 0;
  await pretrain(
    { batchSize: batch, workers, epochs: 100, maxSteps: warmup + steps, seed: 1 },
    randomData(batch * 4, 64),
    {
      onProgress: (p) => {
        const now = performance.now();
        const cpu = process.cpuUsage(lastCpu); // this process, all threads (workers included)
        if (p.step > warmup) {
          times.push((now - last) / 1000);
          cpuTimes.push((cpu.user + cpu.system) / 1e6);
        }
        last = now;
        lastCpu = process.cpuUsage();
        peakRss = Math.max(peakRss, p.memory.rssBytes);
        peakTensorBytes = Math.max(peakTensorBytes, p.memory.tensorBytes);
      },
    },
  );
  const step = median(times);
  const cpuStep = median(cpuTimes);
  console.log(
    JSON.stringify({
      bench: 'pretrain',
      preset: 'tiny',
      backend,
      device: deviceOf(report),
      workers,
      batch,
      locals: 6,
      warmupSteps: warmup,
      steps: times.length,
      medianStep_s: +step.toFixed(3),
      imagesPerSec: +(batch / step).toFixed(2),
      // CPU seconds per step over all threads: independent of other load on a shared machine.
      cpuSecondsPerStep: +cpuStep.toFixed(3),
      imagesPerCpuSecond: +(batch / cpuStep).toFixed(2),
      loadAverage: +os.loadavg()[0]!.toFixed(2),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      peakTensorMiB: Math.round(peakTensorBytes / 2 ** 20),
    }),
  );
}

async function profile(): Promise<void> {
  await chooseBackend({ force: 'wasm' });
  const config = parsePretrainConfig({});
  const model = modelConfigOf(config);
  const layout = modelLayout(model);
  const weights = initParams(layout, new Rng(1));
  const augment = augmentConfigOf(config, model); // 64 px globals, six 24 px locals
  const replica = new Replica(model, layout, augment, weights, weights);
  const images = tf.randomUniform([16, 64, 64, 3]) as tf.Tensor4D;
  const grads = new Float32Array(layout.total);
  const settings = { teacherTemperature: 0.04, studentTemperature: 0.1, koleoWeight: 0 };
  const center = new Float32Array(model.head.prototypes);
  await replica.computeGradients(images, 0, center, settings, grads); // warm-up
  const info = await tf.profile(async () => {
    await replica.computeGradients(images, 1, center, settings, grads);
  });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) {
    // Split matMuls: batched (attention) vs 2-D (linear layers, XNNPACK path).
    const name =
      k.name === 'BatchMatMul'
        ? k.inputShapes[0]!.length > 2
          ? 'BatchMatMul(batched)'
          : 'MatMul(2-D)'
        : k.name;
    byKernel.set(name, (byKernel.get(name) ?? 0) + (k.kernelTimeMs as number));
  }
  const top = [...byKernel]
    .filter(([n]) => n !== 'forward' && !n.includes('scope'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12);
  const total = top.reduce((a, [, t]) => a + t, 0);
  console.log(
    JSON.stringify({
      profile: 'wasm, one worker, batch 16, gradient pass only',
      topKernelsMs: Object.fromEntries(top.map(([n, t]) => [n, Math.round(t)])),
      topShare: Object.fromEntries(top.map(([n, t]) => [n, +(t / total).toFixed(3)])),
    }),
  );
  replica.dispose();
  images.dispose();
}

/** CPU ms per call of `f` (median of 5 after 2 warm-ups); `f` must dispose what it makes. */
function cpuMs(f: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    if (i >= 2) xs.push((d.user + d.system) / 1000);
  }
  return +median(xs).toFixed(1);
}

/** The speed-ups measured in isolation, as before/after pairs (research/PRETRAIN_NOTES.md). */
async function micro(): Promise<void> {
  await chooseBackend({ force: 'wasm' });
  const x = tf.randomNormal([2080, 192]) as tf.Tensor2D; // 32 images × 65 tokens
  const w = tf.randomNormal([192, 768]) as tf.Tensor2D;
  const b = tf.zeros([768]) as tf.Tensor1D;
  const probe = tf.randomNormal([2080, 768]);
  const fwdBwd = (lin: (a: tf.Tensor2D, c: tf.Tensor2D, d: tf.Tensor1D) => tf.Tensor) => () =>
    tf.dispose(
      tf.grads((a, c, d) =>
        tf.sum(tf.mul(lin(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), probe)),
      )([x, w, b]),
    );
  const linearDefault = cpuMs(fwdBwd((a, c, d) => tf.add(tf.matMul(a, c), d)));
  const linearCustom = cpuMs(fwdBwd(linear));
  const qkv = tf.randomNormal([2080, 576]) as tf.Tensor2D;
  const attBatched = cpuMs(() =>
    tf.dispose(tf.grads((q) => tf.sum(attention(q as tf.Tensor2D, 32, 3)))([qkv])),
  );
  // Alternative: one plain 2-D matMul pair per (image, head) — no batch dim, XNNPACK path.
  const perHead = (q: tf.Tensor2D): tf.Tensor => {
    const parts = tf.split(tf.reshape(q, [32, 65 * 576]), 32, 0).map((img) => {
      const [qq, kk, vv] = tf.split(tf.reshape(img, [65, 576]), 3, 1);
      const heads = [0, 1, 2].map((h) => {
        const sl = (t: tf.Tensor): tf.Tensor2D => tf.slice(t, [0, h * 64], [65, 64]) as tf.Tensor2D;
        const s = tf.softmax(tf.matMul(sl(qq!), tf.transpose(sl(kk!))));
        return tf.matMul(s, sl(vv!));
      });
      return tf.concat(heads, 1);
    });
    return tf.concat(parts, 0);
  };
  const attPerHead = cpuMs(() =>
    tf.dispose(tf.grads((q) => tf.sum(perHead(q as tf.Tensor2D)))([qkv])),
  );
  console.log(
    JSON.stringify({
      micro: 'CPU ms, forward + backward, tiny preset shapes (32 images × 65 tokens)',
      linear192x768: { defaultGradients: linearDefault, explicitTransposeGradients: linearCustom },
      attentionCore: { batchedMatMul: attBatched, perImagePerHead2D: attPerHead },
    }),
  );
  tf.dispose([x, w, b, probe, qkv]);
}

const { values: args } = parseArgs({ options: { backend: { type: 'string' } } });
if (args.backend !== undefined) {
  await measure(args.backend, 1, 32, STEPS);
} else {
  if (process.env.BENCH_MICRO !== '0') await micro();
  if (process.env.BENCH_MICRO_ONLY !== '1') {
    await measure('wasm', 2, 32, STEPS);
    await measure('wasm', 1, 32, Math.min(STEPS, 3));
    // cpu is ~30× slower than wasm (docs/ARCHITECTURE.md, "Pitfalls"): a small batch, one warm-up and
    // one timed step.
    if (process.env.BENCH_CPU !== '0') await measure('cpu', 1, 4, 1, 1);
    if (process.env.BENCH_PROFILE !== '0') await profile();
  }
}
