/**
 * The sampled mutation score (scripts/mutation-sample.ts): the blocks drawn, the mutants counted
 * in them, and the estimate's interval.
 */
import { describe, expect, it } from 'vitest';
import { blockCounts, blocksOf, estimate, sampleBlocks } from '../../scripts/mutation-sample';

describe('sampleBlocks', () => {
  const files = new Map([
    ['a.ts', 95],
    ['b.ts', 4000],
  ]);

  it('draws the same blocks from the same seed, and others from another', () => {
    const one = sampleBlocks(files, { fraction: 0.25, block: 30, seed: 1 });
    expect(sampleBlocks(files, { fraction: 0.25, block: 30, seed: 1 })).toEqual(one);
    expect(sampleBlocks(files, { fraction: 0.25, block: 30, seed: 2 })).not.toEqual(one);
  });

  it('keeps about the fraction asked, in blocks that tile each file without passing its end', () => {
    const kept = sampleBlocks(files, { fraction: 0.25, block: 30, seed: 7 });
    const ofB = kept.filter((b) => b.file === 'b.ts');
    // 134 blocks in b.ts; a quarter is 33.5, and a draw this far off would be a broken sampler.
    expect(ofB.length).toBeGreaterThan(18);
    expect(ofB.length).toBeLessThan(50);
    for (const b of kept) {
      expect((b.start - 1) % 30).toBe(0);
      expect(b.end).toBe(Math.min(b.start + 29, files.get(b.file)!));
    }
    expect(sampleBlocks(files, { fraction: 1, block: 30, seed: 7 })).toHaveLength(4 + 134);
    expect(sampleBlocks(files, { fraction: 0, block: 30, seed: 7 })).toEqual([]);
  });
});

describe('blocksOf', () => {
  it('reads back the ranges a sample file lists, and refuses anything else', () => {
    const drawn = sampleBlocks(new Map([['src/a b.ts', 200]]), {
      fraction: 0.5,
      block: 30,
      seed: 4,
    });
    const mutate = drawn.map((b) => `${b.file}:${b.start}-${b.end}`);
    expect(blocksOf({ mutate })).toEqual(drawn);
    expect(() => blocksOf({ mutate: ['src/a.ts'] })).toThrow(
      'not a file:start-end range: src/a.ts',
    );
  });
});

describe('blockCounts and estimate', () => {
  const at = (start: number, end: number, status: string) => ({
    status,
    location: { start: { line: start }, end: { line: end } },
  });

  it('counts the mutants wholly inside each block, leaving out compile errors and ignored ones', () => {
    const report = {
      files: {
        'a.ts': {
          mutants: [
            at(1, 1, 'Killed'),
            at(2, 3, 'Timeout'),
            at(4, 4, 'Survived'),
            at(5, 5, 'NoCoverage'),
            at(6, 6, 'CompileError'),
            at(7, 7, 'Ignored'),
            // Spans past the block's end: not in the sample.
            at(9, 12, 'Killed'),
            // Outside any kept block.
            at(40, 40, 'Survived'),
          ],
        },
      },
    };
    const [counts] = blockCounts(report, [{ file: 'a.ts', start: 1, end: 10 }]);
    expect(counts).toMatchObject({ detected: 2, scored: 4 });
    expect(counts!.undetected.map((m) => m.status)).toEqual(['Survived', 'NoCoverage']);
  });

  it('gives the pooled share and a cluster interval that narrows with more blocks', () => {
    const few = estimate([
      { detected: 8, scored: 10 },
      { detected: 5, scored: 10 },
      { detected: 0, scored: 0 },
    ]);
    expect(few).toMatchObject({ detected: 13, scored: 20, blocks: 2 });
    expect(few.score).toBeCloseTo(0.65, 12);
    // r = 0.65, n̄ = 10: ((8 − 6.5)² + (5 − 6.5)²) / (2·1·100) = 0.0225; 1.96 · 0.15.
    expect(few.margin).toBeCloseTo(1.96 * 0.15, 12);
    const many = estimate(
      Array.from({ length: 50 }, (_, i) => ({ detected: i % 2 ? 8 : 5, scored: 10 })),
    );
    expect(many.score).toBeCloseTo(0.65, 12);
    expect(many.margin).toBeLessThan(few.margin / 4);
    expect(estimate([{ detected: 1, scored: 2 }]).margin).toBeNaN();
  });
});
