/**
 * Writing predictions: each format reads back through the library's importer with what was
 * predicted; names are relative to the images' common folder; a format that cannot hold the
 * model's task is refused; the output folder must be new or empty.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelledInput } from '../../../src-main/core/library/labelled-input';
import { landmarkSchemaOfCard } from '../../../src-main/engine/predict/card-schema';
import type { PredictedFace, PredictOutcome } from '../../../src-main/engine/predict/predict-faces';
import {
  formatMismatch,
  writePredictions,
} from '../../../src-main/engine/predict/write-predictions';
import type { ModelCard } from '../../../src-main/shared/model-card';
import { DOT_BOX, DOT_IMAGE, fakeCard, writeDotImage } from './fake-model';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'write-predictions-'));
  files = [path.join(dir, 'images', 'a.png'), path.join(dir, 'images', 'sub', 'b.png')];
  await mkdir(path.join(dir, 'images', 'sub'), { recursive: true });
  for (const file of files) await writeDotImage(file);
  landmarks = landmarkOutcome();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function face(index: number, labels: Partial<PredictedFace['labels']>): PredictedFace {
  return {
    index,
    file: files[index]!,
    ...DOT_IMAGE,
    found: 'detector',
    score: 0.9,
    crop: { x: 40, y: 20, width: 120, height: 120 },
    labels: { points: [], box: DOT_BOX, attributes: {}, expression: null, ...labels },
    scores: {},
  };
}

/** A model's point, not confirmed by anyone. */
const MODEL = { source: 'model', confirmed: false } as const;

/** Two predicted two-dot faces, one per image. */
let landmarks: PredictOutcome;
const landmarkOutcome = (): PredictOutcome => ({
  faces: [0, 1].map((i) =>
    face(i, {
      points: [
        { x: 70.123456 + i, y: 80.5, v: 2, ...MODEL, uncertainty: 0.01 },
        { x: 130.25, y: 84.75 - i, v: 2, ...MODEL, uncertainty: 0.2 },
      ],
    }),
  ),
  noFace: [],
  failed: [],
  cancelled: false,
});

async function readBack(
  out: string,
  format: 'yolo' | 'studio' | 'celeba' | 'class-folders',
  card: ModelCard,
) {
  const schema = landmarkSchemaOfCard(card) ?? landmarkSchemaOfCard(fakeCard())!;
  const input = await readLabelledInput(out, format, { landmarks: schema, attributes: null });
  return new Map(input.images.map((image) => [image.file, image.faces[0]]));
}

describe('writing predictions', () => {
  it('writes YOLO pose and studio labels that import with the same points and boxes', async () => {
    const card = fakeCard();
    const yolo = path.join(dir, 'yolo');
    const written = await writePredictions(landmarks, card, yolo, { format: 'yolo' });
    expect(written).toMatchObject({ images: 2, faces: 2, files: 2 + 3 });
    const back = await readBack(yolo, 'yolo', card);
    expect([...back.keys()].sort()).toEqual(['images/a.png', 'images/sub/b.png']);
    landmarks.faces.forEach((f, i) => {
      const got = back.get(['images/a.png', 'images/sub/b.png'][i]!)!;
      got.points.forEach((p, k) => {
        expect(Math.abs(p.x - f.labels.points[k]!.x)).toBeLessThan(1e-3);
        expect(Math.abs(p.y - f.labels.points[k]!.y)).toBeLessThan(1e-3);
      });
      expect(got.box!.width).toBeCloseTo(DOT_BOX.width, 3);
    });

    const studio = path.join(dir, 'studio');
    await writePredictions(landmarks, card, studio, { format: 'studio' });
    const labels = await readBack(studio, 'studio', card);
    // The studio format keeps what a person needs to review: the model's, unconfirmed, how doubtful.
    expect(labels.get('sub/b.png')!.points[1]).toEqual(landmarks.faces[1]!.labels.points[1]);
  });

  it('writes attributes as a CelebA list and expressions as class folders', async () => {
    const attributesCard = fakeCard({
      task: 'attributes',
      schema: null,
      attributes: ['Smiling', 'Male'],
    });
    const celeba = path.join(dir, 'celeba');
    await writePredictions(
      {
        ...landmarks,
        faces: [
          face(0, { attributes: { Smiling: true, Male: false } }),
          face(1, { attributes: { Smiling: false, Male: true } }),
        ],
      },
      attributesCard,
      celeba,
      { format: 'celeba' },
    );
    const attributes = await readBack(celeba, 'celeba', attributesCard);
    expect(attributes.get('a.png')!.attributes).toEqual({ Smiling: true, Male: false });
    expect(attributes.get('sub/b.png')!.attributes).toEqual({ Smiling: false, Male: true });

    const expressionCard = fakeCard({
      task: 'expression',
      schema: null,
      classes: ['happy', 'sad'],
    });
    const folders = path.join(dir, 'folders');
    await writePredictions(
      { ...landmarks, faces: [face(0, { expression: 'happy' }), face(1, { expression: 'sad' })] },
      expressionCard,
      folders,
      { format: 'class-folders', copyImages: false },
    );
    expect((await readdir(folders)).sort()).toEqual(['happy', 'sad']);
    const expressions = await readBack(folders, 'class-folders', expressionCard);
    expect(expressions.get('sad/b.png')!.expression).toBe('sad');
  });

  it('lists images without a face and those that failed in predictions.json', async () => {
    const out = path.join(dir, 'json');
    await writePredictions(
      {
        faces: [landmarks.faces[0]!],
        noFace: [{ index: 1, file: files[1]! }],
        failed: [{ index: 2, file: path.join(dir, 'images', 'bad.jpg'), message: 'cut short' }],
        cancelled: false,
      },
      fakeCard(),
      out,
      { format: 'json' },
    );
    const json = JSON.parse(await readFile(path.join(out, 'predictions.json'), 'utf8'));
    expect(json.images.map((i: { file: string }) => i.file)).toEqual(['a.png', 'sub/b.png']);
    expect(json.images[1].faces).toEqual([]);
    expect(json.images[0].faces[0]).toMatchObject({
      found: 'detector',
      score: 0.9,
      crop: { width: 120 },
    });
    expect(json.failed).toEqual([{ file: 'bad.jpg', message: 'cut short' }]);
  });

  it('copies no images with labels only, and refuses a folder in use or a format that does not fit', async () => {
    const out = path.join(dir, 'labels-only');
    await writePredictions(landmarks, fakeCard(), out, { format: 'pts', copyImages: false });
    expect((await readdir(out, { recursive: true })).sort()).toEqual(['a.pts', 'sub', 'sub/b.pts']);
    await expect(writePredictions(landmarks, fakeCard(), out, { format: 'pts' })).rejects.toThrow(
      /not empty/,
    );

    expect(formatMismatch('json', fakeCard())).toBeNull();
    expect(formatMismatch('coco', fakeCard({ task: 'attributes' }))).toMatch(/holds landmarks/);
    await expect(
      writePredictions(landmarks, fakeCard({ task: 'expression' }), path.join(dir, 'x'), {
        format: 'dlib',
      }),
    ).rejects.toThrow(/predicts expression/);
  });
});
