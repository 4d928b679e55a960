// ESLint flat config: TypeScript (type-aware rules off for speed) and Svelte 5.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'release/',
      'test-results/',
      'playwright-report/',
      'reports/',
      '.stryker-tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Engine code runs on the backend the automatic choice takes, a GPU one (webgpu) included,
    // which has no synchronous tensor read in Node: read with `await t.data()` / `t.array()`.
    files: ['src-main/**/*.ts', 'bench/**/*.ts', 'research/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['dataSync', 'arraySync', 'bufferSync'].map((property) => ({
          property,
          message:
            'A GPU backend (webgpu) has no synchronous read in Node: use `await t.data()`, ' +
            '`await t.array()` or `await t.buffer()` (docs/ARCHITECTURE.md, "Backends and speed").',
        })),
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      // The renderer reaches src-main/ only through the shared contract, by the $shared alias
      // (the layer floors themselves are checked by dependency-cruiser, `npm run lint:layers`).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/**'],
              message: 'Import the shared contract through the $shared alias.',
            },
          ],
        },
      ],
    },
  },
);
