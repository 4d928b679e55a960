/**
 * Child process for the export tests: loads each model folder with `loadExportedModel` on the wasm
 * backend — a fresh process, so nothing of the exporting one is reused — and prints the
 * predictions of the images in a raw float32 file as JSON.
 *
 *   node --import tsx predict-child.ts IMAGES.bin N SIZE DIR…
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../../../src-main/engine/backend';
import { loadExportedModel } from '../../../src-main/engine/export/load-model';

const [file, n, size, ...dirs] = process.argv.slice(2);
await chooseBackend({ force: 'wasm' });
const bytes = await readFile(file!);
const pixels = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const images = tf.tensor4d(pixels, [Number(n), Number(size), Number(size), 3]);
const out: Record<string, Record<string, number[] | number | string>> = {};
for (const dir of dirs) {
  const model = await loadExportedModel(dir);
  const prediction = await model.predict(images);
  out[dir] = { task: model.card.task, inputSize: model.inputSize };
  for (const [key, values] of Object.entries(prediction)) out[dir][key] = Array.from(values);
  model.dispose();
}
images.dispose();
process.stdout.write(JSON.stringify(out));
