import { describe, expect, it } from 'vitest';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { parseStudioJson, serialiseStudioJson } from '../../../src-main/core/formats/studio-json';

describe("the studio's own JSON", () => {
  it('gives back everything it wrote: points, boxes, attributes, classes, expression', () => {
    const set: LabelledSet = [
      {
        file: 'a/b.jpg',
        width: 64,
        height: 48,
        subject: 'S010',
        faces: [
          {
            box: { x: 1.5, y: 2.25, width: 30, height: 31 },
            points: [
              { x: 3.125, y: 4, v: 2 },
              { x: 0, y: 0, v: 0 },
              { x: 7, y: 8.5, v: 1, source: 'model', confirmed: false, uncertainty: 0.25 },
              { x: 9, y: 9.5, v: 2, source: 'template', confirmed: false },
              { x: 11, y: 2, v: 2, source: 'model', confirmed: true },
            ],
            attributes: { Smiling: true },
            classes: { pose: 'frontal' },
            expression: 'happy',
          },
        ],
      },
      { file: 'c.png', faces: [] },
    ];
    const labels = { landmarkSchema: 'custom3', attributeSchema: 'mtfl', set };
    expect(parseStudioJson(serialiseStudioJson(labels), 'labels.json', { pointCount: 5 })).toEqual(
      labels,
    );
  });

  it("reads version 1's predicted points as a model's, unconfirmed", () => {
    const text = JSON.stringify({
      format: 'face-studio-labels',
      version: 1,
      landmarkSchema: null,
      attributeSchema: null,
      images: [
        {
          file: 'a.jpg',
          faces: [
            {
              points: [
                { x: 1, y: 2, v: 2, predicted: true, uncertainty: 0.1 },
                { x: 3, y: 4, v: 2 },
              ],
            },
          ],
        },
      ],
    });
    expect(parseStudioJson(text, 'old.json').set[0]!.faces[0]!.points).toEqual([
      { x: 1, y: 2, v: 2, source: 'model', confirmed: false, uncertainty: 0.1 },
      { x: 3, y: 4, v: 2 },
    ]);
  });

  it('refuses a face whose point count differs from the schema, naming it', () => {
    const labels = {
      landmarkSchema: 'five',
      attributeSchema: null,
      set: [{ file: 'a.jpg', faces: [{ points: [{ x: 1, y: 1, v: 2 as const }] }] }],
    };
    expect(() =>
      parseStudioJson(serialiseStudioJson(labels), 'labels.json', { pointCount: 5 }),
    ).toThrow(/labels\.json: images\[0\]\.faces\[0\]: 1 points, the schema has 5/);
  });
});
