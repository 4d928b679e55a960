/**
 * `face-studio splits --project P …`: puts a project's images into train, val, test and pool, so
 * `finetune` finds its faces in `train`. Three ways, and the counts per split printed after:
 *
 * - `--ratio TRAIN,VAL,TEST` (default 0.8,0.1,0.1, what is left goes to pool; `8,1,1` reads as
 *   proportions) with `--seed S`:
 *   seeded random shares of the labelled faces (faces to review and unlabelled images keep their
 *   split; `--all` takes every image). Images of one subject go to one side together: the subject
 *   is the first capture group of `--subject-pattern RE` on the file name (CK+: `^(S\d+)_`), else
 *   the one the import stored.
 * - `--from FILE`: one image a line, `PATH SPLIT`, or `PATH` alone with `--split S`
 *   (core/library/split-list.ts says how a PATH names an image).
 * Prints `{assigned, changed, splits}` as JSON to stdout, the counts in words to stderr.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { splitCounts, describeSplitCounts } from '../../core/library/split-counts';
import { matchSplitList, parseSplitList } from '../../core/library/split-list';
import { assignProjectSplits, imageFileOf } from '../../core/library/library-service';
import { isLabelled } from '../../core/library/library-query';
import { ProjectStore } from '../../core/project-store';
import { Split, type ImageRecord } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { SPLITS_USAGE } from '../usage';

export const DEFAULT_RATIO = '0.8,0.1,0.1';

export async function splitsCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      ratio: { type: 'string' },
      seed: { type: 'string', default: '0' },
      'subject-pattern': { type: 'string' },
      all: { type: 'boolean', default: false },
      from: { type: 'string' },
      split: { type: 'string' },
    },
    SPLITS_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, SPLITS_USAGE);
  if (!values.project) throw new UsageError('Missing --project', SPLITS_USAGE);
  if (values.from === undefined && values.split !== undefined)
    throw new UsageError('--split goes with --from FILE', SPLITS_USAGE);
  if (values.from !== undefined) {
    for (const option of ['ratio', 'subject-pattern', 'all'] as const) {
      if (values[option] !== undefined && values[option] !== false)
        throw new UsageError(`--${option} does not go with --from`, SPLITS_USAGE);
    }
  }
  const split = values.split === undefined ? undefined : splitOption(values.split);
  const fractions = values.from === undefined ? ratioOption(values.ratio ?? DEFAULT_RATIO) : null;
  const subjectPattern = subjectPatternOption(values['subject-pattern']);

  const store = await ProjectStore.open(values.project);
  try {
    let assigned: number;
    let changed: number;
    if (values.from !== undefined) {
      ({ assigned, changed } = await fromList(store, values.from, split));
    } else {
      const only = values.all
        ? undefined
        : (image: ImageRecord) => isLabelled(store.getFace(image.id));
      const chosen = store.listImages().filter((image) => only?.(image) ?? true);
      if (chosen.length === 0) {
        throw new StudioError(
          'invalid-payload',
          values.all
            ? `${store.dir} holds no images to assign`
            : `${store.dir} holds no labelled faces to assign; label some, or give --all to split every image`,
        );
      }
      if (subjectPattern) reportSubjects(io, chosen, subjectPattern);
      const before = new Map(chosen.map((image) => [image.id, image.split]));
      await assignProjectSplits(store, {
        fractions: fractions!,
        seed: values.seed,
        ...(subjectPattern ? { subjectPattern } : {}),
        ...(only ? { only } : {}),
      });
      assigned = chosen.length;
      changed = chosen.filter(
        (image) => store.getImage(image.id)?.split !== before.get(image.id),
      ).length;
    }
    const splits = splitCounts(store);
    io.err(`${assigned} images assigned, ${changed} moved: ${describeSplitCounts(splits)}`);
    io.out(JSON.stringify({ assigned, changed, splits }, null, 2));
  } finally {
    await store.close();
  }
}

async function fromList(
  store: ProjectStore,
  file: string,
  split: Split | undefined,
): Promise<{ assigned: number; changed: number }> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new StudioError('io', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  const entries = parseSplitList(text, file, split);
  const splits = matchSplitList(entries, store.listImages(), {
    listFile: path.resolve(file),
    fileOf: (image) => image.source ?? imageFileOf(store, image),
  });
  const changed: ImageRecord[] = [];
  for (const [id, to] of splits) {
    const record = store.getImage(id);
    if (record && record.split !== to) changed.push({ ...record, split: to });
  }
  if (changed.length > 0) await store.putImages(changed);
  return { assigned: splits.size, changed: changed.length };
}

/** How many subjects the pattern found; an error when it matched no file name at all. */
function reportSubjects(io: CliIo, images: readonly ImageRecord[], pattern: RegExp): void {
  const subjects = new Set<string>();
  let unmatched = 0;
  let example = '';
  for (const image of images) {
    const name = path.basename(image.source ?? image.path);
    const subject = pattern.exec(name)?.[1];
    if (subject === undefined) {
      unmatched += 1;
      example ||= name;
    } else subjects.add(subject);
  }
  if (subjects.size === 0) {
    throw new UsageError(
      `--subject-pattern ${pattern.source} matches none of the ${images.length} file names (such as ${example})`,
      SPLITS_USAGE,
    );
  }
  io.err(
    `${subjects.size} subjects` +
      (unmatched > 0
        ? `; ${unmatched} file names do not match (such as ${example}): each is a subject of its own`
        : ''),
  );
}

function splitOption(value: string): Split {
  const parsed = Split.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new UsageError(`--split ${value}: expected ${Split.options.join(', ')}`, SPLITS_USAGE);
}

/**
 * `0.8,0.1,0.1` (fractions, what is left goes to pool) or `8,1,1` / `8:1:1` (proportions, when
 * they add up to more than 1).
 */
export function ratioOption(value: string): { train: number; val: number; test: number } {
  const parts = value.split(/[,:/]/).map((part) => Number(part.trim()));
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part) || part < 0)) {
    throw new UsageError(
      `--ratio ${value}: expected TRAIN,VAL,TEST, three numbers ≥ 0 such as ${DEFAULT_RATIO} or 8,1,1`,
      SPLITS_USAGE,
    );
  }
  const sum = parts[0]! + parts[1]! + parts[2]!;
  if (sum === 0) throw new UsageError(`--ratio ${value}: all three are 0`, SPLITS_USAGE);
  // Whole numbers are proportions; fractions adding up to more than 1 are refused by the split.
  const scale = parts.some((part) => part > 1) ? sum : 1;
  return { train: parts[0]! / scale, val: parts[1]! / scale, test: parts[2]! / scale };
}

/** A pattern with a capture group (the subject), or a usage error saying what is wrong. */
export function subjectPatternOption(value: string | undefined): RegExp | undefined {
  if (value === undefined) return undefined;
  let pattern: RegExp;
  try {
    pattern = new RegExp(value);
  } catch (error) {
    throw new UsageError(`--subject-pattern: ${(error as Error).message}`, SPLITS_USAGE);
  }
  // A pattern that can match the empty string shows its group count on ''; `|` makes any do so.
  const groups = new RegExp(`${value}|`).exec('')!.length - 1;
  if (groups < 1) {
    throw new UsageError(
      `--subject-pattern ${value}: needs a capture group for the subject, such as ^(S\\d+)_`,
      SPLITS_USAGE,
    );
  }
  return pattern;
}
