/**
 * `npm run bench:onnx [-- --reps 3 --threads 0]`: each model kind the studio trains (the ONNX
 * test's fixtures: a ViT landmark model, a FaceMesh landmark head with its refinement, the
 * attribute default, an expression head) run on 32 real faces by TF.js (wasm, the graph model
 * as predict loads it) and by onnxruntime-node (the converted model.onnx), in batches of 1 and
 * of 32 (docs/ARCHITECTURE.md, "Data flows", ONNX export). Both are warmed at each batch size,
 * then timed `--reps` times, alternating; the best run counts: ms per face of the process's CPU
 * time (user + system, every thread) and of wall time, and ONNX Runtime's ratio to TF.js. `--threads N` sets ONNX Runtime's intra-op
 * threads (0: its default, one per core).
 *
 * Prints the cores, the load average before and after (the machine may be shared), and whether
 * the process runs under `nice`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src-main/engine/backend';
import { loadExportedModel } from '../src-main/engine/export/load-model';
import { ONNX_SESSION_OPTIONS } from '../src-main/engine/export/graph-runner';
import { convertGraphFolder } from '../src-main/engine/export/onnx/convert-graph';
import { requireOnnxRuntime } from '../src-main/engine/export/onnx/onnx-runtime';
import {
  ONNX_MODEL_KINDS,
  disposeBackbones,
  makeKindFixture,
} from '../tests/engine/export/onnx/onnx-fixtures';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
  },
});
const reps = Number(values.reps);
const threads = Number(values.threads);

const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const backend = await chooseBackend({ force: 'wasm' });
const ort = await requireOnnxRuntime('bench:onnx');
console.log(
  `TF.js ${backend.name} · onnxruntime-node ${ort.env.versions.common} (intra-op threads ` +
    `${threads || 'default'}) · ${os.cpus().length} cores · nice ${os.getPriority()} · load ${load()}`,
);

interface Timing {
  cpu: number;
  wall: number;
}

/** One run of `body` (which handles `faces` faces), in ms per face. */
async function time(body: () => Promise<void>, faces: number): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await body();
  const wall = performance.now() - wall0;
  const used = process.cpuUsage(cpu0);
  return { cpu: (used.user + used.system) / 1000 / faces, wall: wall / faces };
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'bench-onnx-'));
const rows: string[] = [];
try {
  for (const kind of ONNX_MODEL_KINDS) {
    const fixture = await makeKindFixture(tmp, kind);
    const n = fixture.faces.shape[0];
    const model = await loadExportedModel(fixture.dir);
    const converted = await convertGraphFolder(fixture.dir);
    const session = await ort.InferenceSession.create(converted.bytes, {
      ...ONNX_SESSION_OPTIONS,
      ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    });
    const all = (await fixture.faces.data()) as Float32Array;
    const [, s] = fixture.faces.shape;
    const single = Array.from({ length: n }, (_, i) => fixture.faces.slice(i, 1));
    const runOrt = async (batch: number) => {
      const per = s * s * 3;
      for (let from = 0; from < n; from += batch) {
        const count = Math.min(batch, n - from);
        const input = new ort.Tensor('float32', all.subarray(from * per, (from + count) * per), [
          count,
          s,
          s,
          3,
        ]);
        await session.run({ [converted.input.name]: input });
      }
    };
    const runTfjs = async (batch: number) => {
      if (batch === 1) for (const face of single) await model.predict(face);
      else await model.predict(fixture.faces);
    };
    for (const batch of [1, n]) {
      // Warm both at this batch size (first runs compile kernels, plan and grow memory).
      await runTfjs(batch);
      await runOrt(batch);
      let t: Timing = { cpu: Infinity, wall: Infinity };
      let o: Timing = { cpu: Infinity, wall: Infinity };
      for (let r = 0; r < reps; r++) {
        const a = await time(() => runTfjs(batch), n);
        const b = await time(() => runOrt(batch), n);
        if (a.cpu < t.cpu) t = a;
        if (b.cpu < o.cpu) o = b;
      }
      rows.push(
        `| ${kind} | ${batch} | ${t.cpu.toFixed(2)} | ${t.wall.toFixed(2)} | ${o.cpu.toFixed(2)} | ` +
          `${o.wall.toFixed(2)} | ${(o.cpu / t.cpu).toFixed(2)} | ${(o.wall / t.wall).toFixed(2)} |`,
      );
      console.log(rows.at(-1));
    }
    tf.dispose([fixture.faces, ...single]);
    model.dispose();
    await session.release();
  }
} finally {
  disposeBackbones();
  await rm(tmp, { recursive: true, force: true });
}
console.log(
  `\n| model | batch | TF.js wasm CPU ms/face | wall | ORT CPU ms/face | wall | ORT/TF.js CPU | wall |\n` +
    `|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\nload ${load()}`,
);
