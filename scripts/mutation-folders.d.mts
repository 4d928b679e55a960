/** Types of scripts/mutation-folders.mjs (a plain module: stryker.config.mjs loads it without tsx). */
export declare const CORE_PARTS: Record<'core-formats' | 'core-library' | 'core-store', string[]>;
export declare const SCORED_FOLDERS: Record<'core' | 'engine' | 'labelling', string[]>;
export declare const MUTATED_FOLDERS: Record<
  'core' | 'engine' | 'labelling' | 'core-formats' | 'core-library' | 'core-store',
  string[]
>;
export declare function matchesGlobs(file: string, globs: readonly string[]): boolean;
