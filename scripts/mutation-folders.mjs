// @ts-check
/**
 * The folders whose mutation score the README's checks table records, as Stryker mutate globs
 * (`**` any folders, `*` any name, a leading `!` leaves out). Shared by stryker.config.mjs, the
 * per-file runner (scripts/mutation-files.ts) and the score (scripts/mutation-score.ts).
 */

/** src-main/core in three parts, each a run of its own. */
export const CORE_PARTS = {
  'core-formats': ['src-main/core/formats/**/*.ts'],
  'core-library': ['src-main/core/library/**/*.ts'],
  'core-store': [
    'src-main/core/**/*.ts',
    '!src-main/core/formats/**/*.ts',
    '!src-main/core/library/**/*.ts',
  ],
};

/** The scored folders; `core` is its three parts together. */
export const SCORED_FOLDERS = {
  core: ['src-main/core/**/*.ts'],
  engine: [
    'src-main/engine/optim/**/*.ts',
    'src-main/engine/metrics/**/*.ts',
    'src-main/engine/model/params.ts',
    'src-main/engine/model/tensor-record.ts',
    'src-main/engine/pretrain/loss.ts',
    'src-main/engine/pretrain/pretrain-checkpoint.ts',
    'src-main/engine/finetune/finetune-checkpoint.ts',
    'src-main/engine/data/**/*.ts',
  ],
  labelling: ['src-renderer/src/features/labelling/model/**/*.ts'],
};

/** Every name MUTATION_FOLDER takes: the scored folders and the core's parts. */
export const MUTATED_FOLDERS = { ...SCORED_FOLDERS, ...CORE_PARTS };

/**
 * Whether a project-relative path (forward slashes) is matched by the globs: by one of the plain
 * patterns and by none of the `!` ones.
 * @param {string} file
 * @param {readonly string[]} globs
 */
export function matchesGlobs(file, globs) {
  const test = (/** @type {string} */ glob) => globRegExp(glob).test(file);
  return (
    globs.some((g) => !g.startsWith('!') && test(g)) &&
    !globs.some((g) => g.startsWith('!') && test(g.slice(1)))
  );
}

/** @param {string} glob */
function globRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      source += '(?:[^/]+/)*';
      i += 2;
    } else if (glob[i] === '*') source += '[^/]*';
    else source += glob[i].replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
