/**
 * HSE FaceRes (`models/faceres.json` inside `@vladmandic/human`): a MobileNet pre-trained on
 * VGGFace2 identities with age and gender heads, 224 × 224 RGB in 0..255. Measured as a
 * face-appearance candidate beside mini-Xception (bench/appearance.bench.ts); not the default,
 * because its source repository (github.com/HSE-asavchenko/HSE_FaceRec_tf) states no licence
 * and it is ~16× slower on wasm (docs/ARCHITECTURE.md, "Backbones and tasks").
 */
import * as tf from '@tensorflow/tfjs';
import type { BackboneFeatures, FaceBackbone, FeatureTap } from './face-backbone';
import { loadPackageGraphModel } from './package-graph-model';

const TAPS: readonly FeatureTap[] = [
  {
    name: 'embedding',
    kind: 'vector',
    shape: [1024],
    description: 'global_pooling/Mean: the MobileNet features under the age and gender heads',
  },
  { name: 'gender', kind: 'vector', shape: [1], description: 'gender_pred: P(male)' },
];
const NODES: Record<string, string> = {
  embedding: 'global_pooling/Mean',
  gender: 'gender_pred/Sigmoid:0',
};

/** Loads the weights from the installed package (nothing is downloaded). */
export async function loadFaceResBackbone(): Promise<FaceBackbone> {
  const model = await loadPackageGraphModel('@vladmandic/human', 'models/faceres.json');
  return {
    id: 'faceres',
    name: 'HSE FaceRes (VGGFace2 MobileNet, 224 px)',
    kind: 'appearance',
    inputSize: 224,
    channels: 3,
    normalisation: { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255], description: '0..255' },
    cropPolicy: {
      crop: { from: 'face-box', margin: 0.1, landmarksToFaceBox: 1 },
      scaleOfLandmarkExtent: 1.2,
      note: 'as mini-Xception, so the two are compared on the same crops',
    },
    taps: TAPS,
    licence: {
      spdx: 'NOASSERTION',
      attribution:
        'HSE FaceRes © A. Savchenko (github.com/HSE-asavchenko/HSE_FaceRec_tf, no licence ' +
        'stated); converted to TF.js by Vladimir Mandic (@vladmandic/human, MIT)',
      package: '@vladmandic/human@3.3.6',
      noticeFile: null,
    },
    async embed(crops: tf.Tensor4D, taps?: readonly string[]): Promise<BackboneFeatures> {
      const wanted = (taps ?? TAPS.map((t) => t.name)).filter((t) => NODES[t] !== undefined);
      const outs = tf.tidy(() => {
        const sized =
          crops.shape[1] === 224 && crops.shape[2] === 224
            ? crops
            : tf.image.resizeBilinear(crops, [224, 224], false, true);
        return model.execute(
          tf.mul(sized, 255),
          wanted.map((t) => NODES[t]!),
        ) as tf.Tensor[];
      });
      const out: Record<string, Float32Array> = {};
      for (const [i, name] of wanted.entries()) out[name] = (await outs[i]!.data()) as Float32Array;
      tf.dispose(outs);
      return { count: crops.shape[0], taps: out };
    },
    dispose: () => model.dispose(),
  };
}
