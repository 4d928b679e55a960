/**
 * A folder's mutation score estimated from a sample of its code (`npm run test:mutation:sample --
 * <folder> [--fraction F] [--block N] [--seed S] [--report-only]`), for a folder whose whole run
 * takes hours on 2 cores (the core's store and library: about 11,000 mutants at ~1.3 s each).
 *
 * Each source file is cut into blocks of N lines (default 30) and each block is kept with
 * probability F (default 0.25), drawn from a seeded generator, so the sample is spread over every
 * file in proportion to its size. One Stryker run mutates the kept blocks only (Stryker's
 * `file:start-end` ranges; stryker.config.mjs reads them from MUTATION_SAMPLE). Its report goes to
 * reports/mutation/sample/ (never counted by `test:mutation:score` as a whole file's result).
 *
 * The estimate is the ratio of detected to scored mutants over the kept blocks, with a 95%
 * interval from the blocks as clusters (mutants of one block tend to live or die together, so a
 * binomial interval over mutants would be too narrow). Bias to know: a mutant is kept only when it
 * lies wholly inside a kept block, so mutants spanning more than N lines (a long function's
 * emptied body, say) are under-sampled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../src-main/engine/model/rng';
import { filesOf } from './mutation-files';
import { MUTATED_FOLDERS } from './mutation-folders.mjs';

const SAMPLE_DIR = path.join('reports', 'mutation', 'sample');
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export interface SampledBlock {
  file: string;
  /** 1-based, inclusive. */
  start: number;
  end: number;
}

/** The kept blocks of each file of `lineCounts`, in file order then line order. */
export function sampleBlocks(
  lineCounts: ReadonlyMap<string, number>,
  options: { fraction: number; block: number; seed: number },
): SampledBlock[] {
  const rng = new Rng(options.seed);
  const kept: SampledBlock[] = [];
  for (const [file, lines] of lineCounts) {
    for (let start = 1; start <= lines; start += options.block) {
      if (rng.chance(options.fraction)) {
        kept.push({ file, start, end: Math.min(lines, start + options.block - 1) });
      }
    }
  }
  return kept;
}

/** The blocks of a sample file's `file:start-end` ranges. */
export function blocksOf(sample: { mutate: string[] }): SampledBlock[] {
  return sample.mutate.map((range) => {
    const match = /^(.+):(\d+)-(\d+)$/.exec(range);
    if (!match) throw new Error(`not a file:start-end range: ${range}`);
    return { file: match[1]!, start: Number(match[2]), end: Number(match[3]) };
  });
}

interface Mutant {
  status: string;
  mutatorName?: string;
  replacement?: string;
  location: { start: { line: number }; end: { line: number } };
}

export interface Estimate {
  detected: number;
  scored: number;
  blocks: number;
  score: number;
  /** Half the width of the 95% interval, in score units (0..1). */
  margin: number;
}

/**
 * The detected share over the blocks' scored mutants, with a cluster (ratio-estimator) interval:
 * var = Σ(dᵢ − r·nᵢ)² / (k(k−1)·n̄²) over the k blocks that hold a scored mutant.
 */
export function estimate(blocks: readonly { detected: number; scored: number }[]): Estimate {
  const used = blocks.filter((b) => b.scored > 0);
  const detected = used.reduce((sum, b) => sum + b.detected, 0);
  const scored = used.reduce((sum, b) => sum + b.scored, 0);
  const k = used.length;
  const score = scored === 0 ? 0 : detected / scored;
  if (k < 2) return { detected, scored, blocks: k, score, margin: Number.NaN };
  const mean = scored / k;
  const spread = used.reduce((sum, b) => sum + (b.detected - score * b.scored) ** 2, 0);
  const margin = 1.96 * Math.sqrt(spread / (k * (k - 1) * mean * mean));
  return { detected, scored, blocks: k, score, margin };
}

/** Each kept block's detected and scored mutants, from a Stryker JSON report. */
export function blockCounts(
  report: { files: Record<string, { mutants: Mutant[] }> },
  blocks: readonly SampledBlock[],
): { block: SampledBlock; detected: number; scored: number; undetected: Mutant[] }[] {
  return blocks.map((block) => {
    const mutants = (report.files[block.file]?.mutants ?? []).filter(
      (m) => m.location.start.line >= block.start && m.location.end.line <= block.end,
    );
    return {
      block,
      detected: mutants.filter((m) => DETECTED.has(m.status)).length,
      scored: mutants.filter((m) => DETECTED.has(m.status) || UNDETECTED.has(m.status)).length,
      undetected: mutants.filter((m) => UNDETECTED.has(m.status)),
    };
  });
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value)) throw new Error(`${name} wants a number, not ${args[at + 1]}`);
  return value;
}

function main(args: string[]): number {
  const folder = args.find((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!folder || !Object.hasOwn(MUTATED_FOLDERS, folder)) {
    console.error(
      `usage: npm run test:mutation:sample -- <${Object.keys(MUTATED_FOLDERS).join('|')}> ` +
        '[--fraction 0.25] [--block 30] [--seed 1] [--report-only]',
    );
    return 2;
  }
  const fraction = option(args, '--fraction', 0.25);
  const block = option(args, '--block', 30);
  const seed = option(args, '--seed', 1);
  const files = filesOf(MUTATED_FOLDERS[folder as keyof typeof MUTATED_FOLDERS]);
  const lineCounts = new Map(
    files.map((file) => [file, readFileSync(file, 'utf8').split('\n').length] as const),
  );
  const name = `${folder}-f${fraction}-b${block}-s${seed}`;
  const base = path.join(SAMPLE_DIR, name);
  const sampleFile = `${base}.sample.json`;
  const reportOnly = args.includes('--report-only');
  // A report is read with the blocks its run mutated (the sources may have changed since).
  const blocks =
    reportOnly && existsSync(sampleFile)
      ? blocksOf(JSON.parse(readFileSync(sampleFile, 'utf8')) as { mutate: string[] })
      : sampleBlocks(lineCounts, { fraction, block, seed });
  if (!reportOnly) {
    mkdirSync(SAMPLE_DIR, { recursive: true });
    writeFileSync(
      sampleFile,
      JSON.stringify({ name, mutate: blocks.map((b) => `${b.file}:${b.start}-${b.end}`) }, null, 1),
    );
  }
  const lines = blocks.reduce((sum, b) => sum + b.end - b.start + 1, 0);
  const total = [...lineCounts.values()].reduce((sum, n) => sum + n, 0);
  console.log(
    `${folder}: ${blocks.length} blocks of ${block} lines kept (${lines} of ${total} lines, ` +
      `${files.length} files; fraction ${fraction}, seed ${seed})`,
  );
  if (!reportOnly) {
    const result = spawnSync('npx', ['stryker', 'run'], {
      env: {
        ...process.env,
        MUTATION_SAMPLE: sampleFile,
        MUTATION_FILE: undefined,
        MUTATION_FOLDER: undefined,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status !== 0) {
      console.error(`stryker exited with ${result.status}`);
      return 1;
    }
  }
  if (!existsSync(`${base}.json`)) {
    console.error(`no report at ${base}.json: run without --report-only first`);
    return 1;
  }
  const report = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as {
    files: Record<string, { mutants: Mutant[] }>;
  };
  const counts = blockCounts(report, blocks);
  const result = estimate(counts);
  console.log(
    `${folder}: estimated mutation score ${(result.score * 100).toFixed(1)}% ± ` +
      `${(result.margin * 100).toFixed(1)} (95%), from ${result.detected} of ${result.scored} ` +
      `mutants detected in ${result.blocks} blocks`,
  );
  for (const { block: b, undetected } of counts) {
    for (const m of undetected) {
      const replacement = m.replacement?.replace(/\s+/g, ' ').slice(0, 60);
      console.log(
        `  ${b.file}:${m.location.start.line} ${m.mutatorName ?? ''} (${m.status})` +
          (replacement ? ` → ${replacement}` : ''),
      );
    }
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
