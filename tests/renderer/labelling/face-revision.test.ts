import { describe, expect, it } from 'vitest';
import { reactToChanges } from '../../../src-renderer/src/features/labelling/face-revision';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('reactToChanges', () => {
  it('reloads the face shown when it was saved elsewhere at a newer revision', () => {
    expect(
      reactToChanges({ imageId: A, revision: 3, dirty: false }, [{ imageId: A, revision: 4 }]),
    ).toBe('reload');
    // The window read no face; someone else saved the first one.
    expect(
      reactToChanges({ imageId: A, revision: null, dirty: false }, [{ imageId: A, revision: 1 }]),
    ).toBe('reload');
  });

  it('reports a conflict when the face shown has unsaved edits', () => {
    expect(
      reactToChanges({ imageId: A, revision: 3, dirty: true }, [
        { imageId: B, revision: 9 },
        { imageId: A, revision: 4 },
      ]),
    ).toBe('conflict');
  });

  it('ignores other faces, and revisions this window already holds (its own saves)', () => {
    expect(
      reactToChanges({ imageId: A, revision: 3, dirty: true }, [{ imageId: B, revision: 9 }]),
    ).toBe('ignore');
    expect(
      reactToChanges({ imageId: A, revision: 4, dirty: true }, [{ imageId: A, revision: 4 }]),
    ).toBe('ignore');
    expect(
      reactToChanges({ imageId: A, revision: 5, dirty: false }, [{ imageId: A, revision: 4 }]),
    ).toBe('ignore');
    expect(reactToChanges(null, [{ imageId: A, revision: 4 }])).toBe('ignore');
  });
});
