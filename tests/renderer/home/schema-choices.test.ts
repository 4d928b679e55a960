/**
 * The create-project form offers every built-in schema under the name its file gives it, and only
 * ids the core accepts; a schema added to the studio shows up without touching the form.
 */
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_ATTRIBUTE_SCHEMAS,
  BUILTIN_LANDMARK_SCHEMAS,
  builtinAttributeSchema,
  builtinLandmarkSchema,
} from '../../../src-main/core/schemas/builtin';
import { LandmarkSchema } from '../../../src-main/shared/schemas';
import {
  ATTRIBUTE_CHOICES,
  CUSTOM_LANDMARKS,
  LANDMARK_CHOICES,
} from '../../../src-renderer/src/features/home/landmark-choices';

describe('schema choices on the home view', () => {
  it('lists every built-in attribute set after "None", named as in its file', () => {
    expect(ATTRIBUTE_CHOICES[0]).toEqual({ id: '', label: 'None' });
    const sets = ATTRIBUTE_CHOICES.slice(1);
    expect(sets.map((choice) => choice.id)).toEqual(BUILTIN_ATTRIBUTE_SCHEMAS);
    expect(sets.map((choice) => choice.id)).toEqual(
      expect.arrayContaining(['mtfl', 'celeba40', 'ckplus7', 'fer7', 'rafdb7', 'affectnet8']),
    );
    for (const choice of sets) expect(choice.label).toBe(builtinAttributeSchema(choice.id).name);
    expect(new Set(sets.map((choice) => choice.label)).size).toBe(sets.length);
  });

  it('lists every built-in landmark schema, 68 points first, named as in its file', () => {
    expect(LANDMARK_CHOICES.map((choice) => choice.id)).toEqual(BUILTIN_LANDMARK_SCHEMAS);
    expect(LANDMARK_CHOICES[0]?.id).toBe('ibug68');
    for (const choice of LANDMARK_CHOICES) {
      expect(choice.label).toBe(builtinLandmarkSchema(choice.id).name);
    }
  });

  it('offers "Custom…" under a value no schema can have as its id', () => {
    expect(CUSTOM_LANDMARKS.label).toBe('Custom…');
    expect(LandmarkSchema.shape.id.safeParse(CUSTOM_LANDMARKS.id).success).toBe(false);
    expect(LANDMARK_CHOICES.map((choice) => choice.id)).not.toContain(CUSTOM_LANDMARKS.id);
  });
});
