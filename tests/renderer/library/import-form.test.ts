/**
 * The import dialog copies images into the project unless the user picks referencing, and says
 * what referencing risks; the contract's default for a request without a placement is the same.
 */
import { describe, expect, it } from 'vitest';
import { invokeContract } from '$shared/ipc-contract';
import {
  importRequestOf,
  newImportForm,
  PLACEMENT_CHOICES,
} from '../../../src-renderer/src/features/library/import-form';

describe('the import form', () => {
  it('starts on copying the images into the project, and sends that choice', () => {
    const form = newImportForm();
    expect(form.placement).toBe('copy');
    expect(PLACEMENT_CHOICES[0]?.id).toBe('copy');
    expect(importRequestOf({ ...form, dir: ' /photos ' })).toEqual({
      dir: '/photos',
      format: 'images',
      curate: false,
      placement: 'copy',
    });
  });

  it('offers referencing for large sets, warning that a moved folder breaks the project', () => {
    const reference = PLACEMENT_CHOICES.find((choice) => choice.id === 'reference');
    expect(reference?.label).toBe('Reference in place — for large sets');
    expect(reference?.hint).toContain('the project breaks if the folder moves');
    const form = { ...newImportForm(), dir: '/big', placement: 'reference' as const };
    expect(importRequestOf({ ...form, subjectPattern: ' ^(S\\d+)_ ' })).toEqual({
      dir: '/big',
      format: 'images',
      curate: false,
      placement: 'reference',
      subjectPattern: '^(S\\d+)_',
    });
  });

  it('is the default of library:importFolder too, for a client that names no placement', () => {
    const request = invokeContract['library:importFolder'].request.parse({ dir: '/photos' });
    expect(request.placement).toBe('copy');
  });
});
