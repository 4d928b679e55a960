/**
 * `npx tsx research/step-check.ts [--out .tmp/step-check] [--data .tmp/probe-faces]`, then
 * `python3 research/probe_torch.py --step-check .tmp/step-check`: is the engine's pre-training step
 * the same computation as PyTorch's? Writes one step of the probe recipe (probe-recipe.ts) on 16
 * faces from `research/probe-dump.ts` — the student's and teacher's weights (two different seeded
 * inits, so the targets are not the student's own), a centre, the views, and the engine's loss,
 * teacher entropy and gradients — for probe_torch.py to load into its model (the layout mapped
 * tensor by tensor), recompute and compare. Float32 round-off is about 1e-6 relative.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { makeViews } from '../src-main/engine/pretrain/augment';
import { modelLayout } from '../src-main/engine/pretrain/pretrain-model';
import { initParams } from '../src-main/engine/model/params';
import { chooseBackend } from '../src-main/engine/backend';
import { augmentConfigOf, modelConfigOf } from '../src-main/engine/pretrain/pretrain';
import { parsePretrainConfig } from '../src-main/engine/pretrain/pretrain-config';
import { Replica } from '../src-main/engine/pretrain/pretrain-step';
import type { StepSettings } from '../src-main/engine/pretrain/pretrain-step';
import { Rng } from '../src-main/engine/model/rng';
import { probeRecipe } from './probe-recipe';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: '.tmp/step-check' },
    data: { type: 'string', default: '.tmp/probe-faces' },
  },
});
// The backend pre-training would use here (FACE_STUDIO_BACKEND=cpu|wasm|… to check another).
const backend = await chooseBackend();
const config = parsePretrainConfig(probeRecipe(1));
const model = modelConfigOf(config);
const layout = modelLayout(model);
const augment = augmentConfigOf(config, model);
const size = model.vit.imageSize;
const faces = config.batchSize;
const poolFile = path.join(args.data, `pool${size}.u8`);
const pixels = await readFile(poolFile).catch(() => {
  throw new Error(
    `${poolFile} is missing: run npx tsx research/probe-dump.ts --size ${size} first`,
  );
});
const images = tf.tidy(
  () =>
    tf.div(
      tf.tensor4d(Float32Array.from(pixels.subarray(0, faces * size * size * 3)), [
        faces,
        size,
        size,
        3,
      ]),
      255,
    ) as tf.Tensor4D,
);
const student = initParams(layout, new Rng(11));
const teacher = initParams(layout, new Rng(12));
const center = Float32Array.from({ length: model.head.prototypes }, (_, i) => 0.01 * Math.sin(i));
const settings: StepSettings = {
  teacherTemperature: config.teacherTemperature,
  studentTemperature: config.studentTemperature,
  koleoWeight: 0,
};
const AUG_SEED = 5;
// The views computeGradients makes: the same function on the same seed.
const views = tf.tidy(() => {
  const v = makeViews(images, new Rng(AUG_SEED), augment);
  return [v.globals, v.locals!];
});
const grads = new Float32Array(layout.total);
const replica = new Replica(model, layout, augment, student, teacher);
const result = await replica.computeGradients(images, AUG_SEED, center, settings, grads);

await mkdir(args.out, { recursive: true });
const write = (name: string, values: Float32Array): Promise<void> =>
  writeFile(
    path.join(args.out, name),
    new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  );
await write('student.f32', student);
await write('teacher.f32', teacher);
await write('center.f32', center);
await write('grads.f32', grads);
await write('globals.f32', (await views[0]!.data()) as Float32Array);
await write('locals.f32', (await views[1]!.data()) as Float32Array);
await writeFile(
  path.join(args.out, 'step.json'),
  JSON.stringify({
    loss: result.loss,
    teacherEntropy: result.teacherEntropy,
    settings,
    globalSize: augment.globalSize,
    localSize: augment.localSize,
    localCrops: augment.localCrops,
    model,
    entries: layout.entries.map((e) => ({ name: e.name, shape: e.shape, offset: e.offset })),
  }),
);
console.log(
  JSON.stringify({
    backend: backend.name,
    loss: result.loss,
    teacherEntropy: result.teacherEntropy,
    out: args.out,
  }),
);
