/**
 * A data-parallel gradient worker: its own TensorFlow.js instance (single-threaded wasm), one
 * model replica, and a slot in shared memory for its gradients. The loop splits each batch
 * across workers, so both cores compute; weights arrive through shared memory, not messages.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../backend';
import { modelLayout } from '../pretrain/pretrain-model';
import { Replica } from '../pretrain/pretrain-step';
import type { FromWorker, ToWorker } from './protocol';

let replica: Replica | null = null;
let shared: { student: Float32Array; teacher: Float32Array; grads: Float32Array } | null = null;

function post(msg: FromWorker): void {
  parentPort!.postMessage(msg);
}

parentPort!.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      if (msg.type === 'init') {
        await chooseBackend({ force: msg.backend });
        shared = {
          student: new Float32Array(msg.student),
          teacher: new Float32Array(msg.teacher),
          grads: new Float32Array(msg.grads),
        };
        replica = new Replica(
          msg.model,
          modelLayout(msg.model),
          msg.augment,
          shared.student,
          shared.teacher,
          msg.microBatch,
        );
        post({ type: 'ready' });
      } else if (msg.type === 'step') {
        replica!.load(shared!.student, shared!.teacher);
        const images = tf.tensor4d(msg.images, msg.shape);
        const result = await replica!.computeGradients(
          images,
          msg.augSeed,
          msg.center,
          msg.settings,
          shared!.grads,
        );
        images.dispose();
        post({ type: 'result', result });
      } else {
        replica?.dispose();
        parentPort!.close();
      }
    } catch (error) {
      post({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});
