/**
 * The crop record a backbone-headed model carries in its card, so training, eval, predict,
 * pre-label and the exported model cut every face the same way (docs/ARCHITECTURE.md, "Formats").
 *
 * Today `eval` crops around the true landmarks while `predict` uses the detector, and the two
 * disagree by about 3 points of NME; a head fitted on landmark-extent crops (as bench and tests
 * fit FaceMesh heads) must say so, and say how to get the same crop without landmarks. The record
 * names the box source each step may use and the geometry that turns it into the square crop:
 *
 * - `policy`: the engine's CropPolicy (`faceCropBox` in engine/data/face-crop.ts) with the
 *   backbone's margin, applied to a face box;
 * - `trainedOn`: which box the training crops were cut from (`landmarks`: the labelled points'
 *   box × `landmarksToFaceBox`, `detection`: curation's stored detector box);
 * - `inference`: which box predict and pre-label use (`detection`, falling back to the whole
 *   image with a per-image note when no face is found), and eval must use the same one;
 * - `inputSize` and the backbone id, so an exported graph and the engine cut identical pixels.
 *
 * The record's schema is the card's (`HeadCropRecord` in shared/model-card.ts); this module builds
 * it for a backbone and derives the crop box.
 */
import {
  HeadCropRecord,
  type CropBoxSource,
  type CropPolicy as CropPolicyType,
} from '../../shared/model-card';
import type { Box, FaceDetection, PlacedPoint } from '../../shared/domain';
import { faceCropBox } from '../data/face-crop';
import type { FaceBackbone } from '../backbones/face-backbone';

export { CropBoxSource, HeadCropRecord } from '../../shared/model-card';

/** The record for a head fitted on `backbone` with crops cut from `trainedOn` boxes. */
export function headCropRecord(
  backbone: FaceBackbone,
  trainedOn: CropBoxSource,
  inference: CropBoxSource = 'detection',
): HeadCropRecord {
  return HeadCropRecord.parse({
    backbone: backbone.id,
    inputSize: backbone.inputSize,
    policy: backbone.cropPolicy.crop,
    scaleOfLandmarkExtent: backbone.cropPolicy.scaleOfLandmarkExtent,
    trainedOn,
    inference,
    refine: 'none',
    wholeImageFallback: true,
  });
}

/**
 * The crop box of one face under `record`, for the step that has `face`: a detection when the
 * record infers from detections (else the landmarks when the step is training on them).
 */
export function recordCropBox(
  record: HeadCropRecord,
  image: { width: number; height: number },
  face: { detection?: FaceDetection | null; points?: readonly PlacedPoint[] },
  step: 'train' | 'infer',
): Box {
  const source = step === 'train' ? record.trainedOn : record.inference;
  const policy: CropPolicyType = record.policy;
  if (source === 'landmarks') return faceCropBox(image, { points: face.points ?? [] }, policy);
  return faceCropBox(image, { detection: face.detection ?? null }, policy);
}
