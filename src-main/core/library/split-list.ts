/**
 * Splits from a list file, for sets that come with their own (300-W's common/challenge lists,
 * a lab's held-out subjects): one image a line, `PATH SPLIT` (space, tab or comma between them),
 * or only `PATH` when the caller gives one split for every line. Blank lines and `#` comments are
 * skipped, and so is a `path,split` header.
 *
 * A PATH names an image of the project by the file it was imported from: an absolute path, a path
 * relative to the list's folder, or the end of the path (`train/angry/x.png`, or only `x.png`)
 * when that names one image. Every line is checked before anything is assigned; each problem
 * (no such image, a name that fits several, an unknown split, one image given two splits) is named
 * with the list file and its line.
 */
import { isAbsolute, resolve, sep } from 'node:path';
import { Split, type ImageRecord } from '../../shared/domain';
import { ProblemList } from '../problems';

export interface SplitListEntry {
  line: number;
  path: string;
  split: Split;
}

/** A file's path with `/` separators; only the platform's separator is one (see `readings`). */
const toSlashes = (file: string): string => file.split(sep).join('/');

/**
 * The ways to read a list line's path: as written, then, if it holds a `\`, with `\` as a
 * separator. A list made on Windows separates with `\`; on Linux and macOS `\` may also be part
 * of an image's name (`face\1.jpg`), and the image named exactly so wins.
 */
function readings(path: string): string[] {
  const written = toSlashes(path);
  const windows = written.split('\\').join('/');
  return windows === written ? [written] : [written, windows];
}

/** The lines of a list file; `split` is for lines that name no split. */
export function parseSplitList(text: string, file: string, split?: Split): SplitListEntry[] {
  const problems = new ProblemList();
  const entries: SplitListEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\uFEFF/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const cut = /^(.*?)(?:\s*[,\t]\s*|\s+)([^\s,\t]+)$/.exec(line);
    const last = cut?.[2];
    if (i === 0 && last?.toLowerCase() === 'split') return;
    const named = Split.safeParse(last);
    if (cut && named.success) {
      entries.push({ line: i + 1, path: cut[1]!, split: named.data });
    } else if (split !== undefined) {
      entries.push({ line: i + 1, path: line, split });
    } else {
      problems.add(
        file,
        i + 1,
        `"${line}" names no split at its end (${Split.options.join(', ')}); or give one split for every line`,
      );
    }
  });
  problems.throwIfAny(`Cannot read the split list ${file}`);
  return entries;
}

/**
 * Each listed image's split, by image id, or an InputProblemsError naming every line that fits
 * no image, several, or gives an image a second split. `fileOf` is an image's file as imported
 * (its `source` for a copy, else its path), absolute.
 */
export function matchSplitList(
  entries: readonly SplitListEntry[],
  images: readonly ImageRecord[],
  options: { listFile: string; fileOf: (image: ImageRecord) => string },
): Map<string, Split> {
  const listDir = resolve(options.listFile, '..');
  const byFile = new Map<string, ImageRecord>();
  const byName = new Map<string, ImageRecord[]>();
  for (const image of images) {
    const file = toSlashes(options.fileOf(image));
    byFile.set(file, image);
    const name = file.slice(file.lastIndexOf('/') + 1);
    const same = byName.get(name);
    if (same) same.push(image);
    else byName.set(name, [image]);
  }
  const problems = new ProblemList();
  const splits = new Map<string, Split>();
  const lineOf = new Map<string, number>();
  for (const entry of entries) {
    let found: ImageRecord | undefined;
    let fitting = 0;
    for (const path of readings(entry.path)) {
      found = byFile.get(toSlashes(isAbsolute(path) ? path : resolve(listDir, path)));
      if (!found && !isAbsolute(path)) {
        const wanted = path.replace(/^\.\//, '');
        const name = wanted.slice(wanted.lastIndexOf('/') + 1);
        const fits = (byName.get(name) ?? []).filter((image) =>
          toSlashes(options.fileOf(image)).endsWith(`/${wanted}`),
        );
        // The first reading that fits any image decides, even when it fits several.
        fitting = fits.length;
        if (fitting === 1) found = fits[0];
        if (fitting > 0) break;
      }
      if (found) break;
    }
    if (fitting > 1) {
      problems.add(
        options.listFile,
        entry.line,
        `${entry.path} fits ${fitting} images of the project; give more of its path`,
      );
      continue;
    }
    if (!found) {
      problems.add(options.listFile, entry.line, `${entry.path} is no image of the project`);
      continue;
    }
    const earlier = splits.get(found.id);
    if (earlier !== undefined && earlier !== entry.split) {
      problems.add(
        options.listFile,
        entry.line,
        `${entry.path} is put in ${entry.split} here and in ${earlier} on line ${lineOf.get(found.id)}`,
      );
      continue;
    }
    splits.set(found.id, entry.split);
    lineOf.set(found.id, entry.line);
  }
  problems.throwIfAny(`Cannot assign the splits of ${options.listFile}`);
  return splits;
}
