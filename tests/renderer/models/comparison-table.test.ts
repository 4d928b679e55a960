/** How the Models view shows a backbone comparison: best marked, no-better flagged, scores formatted. */
import { describe, expect, it } from 'vitest';
import {
  formatScore,
  progressText,
  tableLines,
} from '../../../src-renderer/src/features/models/comparison-table';
import { comparison } from './fixtures';

describe('comparison table', () => {
  it('marks the best, says which are no better than the baseline, and formats scores', () => {
    const lines = tableLines(comparison('landmarks', 'facemesh'));
    expect(lines.map((l) => [l.id, l.best, l.noBetter])).toEqual([
      ['facemesh', true, false],
      ['random', false, true],
    ]);
    expect(lines[0]).toMatchObject({
      test: '4.55% · FR 10.0%',
      speed: '22.4 ms',
      licence: 'Apache-2.0',
    });
    expect(lines[1]!.licence).toBe('made in this project');
    expect(formatScore(null, 'accuracy')).toBe('—');
    expect(formatScore({ value: 0.875, failureRate: null, faces: 8 }, 'accuracy')).toBe('87.50%');
    expect(
      progressText({
        backboneId: 'facemesh',
        done: 0,
        total: 3,
        stage: 'embedding',
        faces: 12,
        facesTotal: 40,
      }),
    ).toBe('facemesh: embedding faces 12 of 40 (backbone 1 of 3)');
  });
});
