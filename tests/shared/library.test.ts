import { describe, expect, it } from 'vitest';
import { stagesOf } from '../../src-main/shared/library';

describe('stagesOf', () => {
  it('lists what an import was asked to do, in order', () => {
    expect(stagesOf({ kind: 'import', labelled: false, curate: false, copy: false })).toEqual([
      'scanning',
      'importing',
      'writing',
    ]);
    expect(stagesOf({ kind: 'import', labelled: true, curate: true, copy: true })).toEqual([
      'scanning',
      'validating',
      'importing',
      'detecting',
      'near-duplicates',
      'copying',
      'writing',
    ]);
    expect(stagesOf({ kind: 'curate' })).toEqual(['detecting', 'near-duplicates', 'writing']);
  });
});
