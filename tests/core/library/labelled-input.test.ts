/**
 * Reading a labelled set through the format registry: a folder without the chosen format's files
 * is refused with the format it looks like, so the user can pick the right one.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabelledInput } from '../../../src-main/core/library/labelled-input';
import { builtinLandmarkSchema } from '../../../src-main/core/schemas/builtin';
import { DATA } from '../formats/data-paths';

const options = { landmarks: builtinLandmarkSchema('five'), attributes: null };

describe('reading a labelled set', () => {
  it('names the format a folder looks like when it has none of the chosen one’s files', async () => {
    await expect(readLabelledInput(path.join(DATA, 'mtfl'), 'coco', options)).rejects.toThrow(
      /holds neither annotations\.json nor any \.json file; it looks like MTFL \(format mtfl\)$/,
    );
    await expect(readLabelledInput(path.join(DATA, 'ck48'), 'celeba', options)).rejects.toThrow(
      /it looks like Expression class folders \(format class-folders\)$/,
    );
  });

  it('says nothing more when the folder looks like no other format', async () => {
    const images = path.join(DATA, 'mtfl', 'lfw_5590');
    await expect(readLabelledInput(images, 'mtfl', options)).rejects.toThrow(
      /holds no MTFL list \(training\.txt, testing\.txt\)$/,
    );
  });
});
