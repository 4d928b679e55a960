/**
 * The layer floors of src-main/ and src-renderer/ (docs/ARCHITECTURE.md, "Layers and processes"),
 * checked by `npm run lint`: no import circle, type-only imports included, and no import upward.
 *
 *   shared/                        → nothing
 *   core/                          → shared
 *   engine/                        → core, shared
 *   app/                           → engine, core, shared
 *   main/ (Electron only)          → app, core, shared
 *   preload/                       → shared
 *   server/, cli/, workers/        → app, engine, core, shared (never main)
 *   src-renderer/                  → shared ($shared alias)
 */
const SRC = '^src-main/';
const layer = (name) => `${SRC}${name}/`;
const anyOf = (...names) => `^src-main/(${names.join('|')})/`;

/** A rule forbidding `from` to import any of `to`. */
const floor = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules import each other in a circle (type-only imports count too).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    floor(
      'shared-imports-nothing',
      'shared/ is the contract and domain types: it imports no other layer.',
      layer('shared'),
      `${anyOf('core', 'engine', 'app', 'main', 'preload', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'core-imports-shared-only',
      'core/ (store, formats, library, schemas) imports only shared/.',
      layer('core'),
      `${anyOf('engine', 'app', 'main', 'preload', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'engine-imports-core-and-shared',
      'engine/ imports only core/ and shared/.',
      layer('engine'),
      `${anyOf('app', 'main', 'preload', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'app-imports-engine-core-shared',
      'app/, the Electron-free service, imports only engine/, core/ and shared/.',
      layer('app'),
      `${anyOf('main', 'preload', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'main-imports-app-core-shared',
      'main/ is the Electron glue over app/: it imports app/, core/ and shared/.',
      layer('main'),
      `${anyOf('engine', 'preload', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'preload-imports-shared-only',
      'preload/ imports only shared/.',
      layer('preload'),
      `${anyOf('core', 'engine', 'app', 'main', 'server', 'cli', 'workers')}|^src-renderer/`,
    ),
    floor(
      'hosts-never-import-main',
      'server/, cli/ and workers/ run without Electron: they never import main/ or preload/.',
      anyOf('server', 'cli', 'workers'),
      `${anyOf('main', 'preload')}|^src-renderer/`,
    ),
    floor(
      'renderer-imports-shared-only',
      'src-renderer/ reaches the main side only through shared/ (the $shared alias).',
      '^src-renderer/',
      `${anyOf('core', 'engine', 'app', 'main', 'preload', 'server', 'cli', 'workers')}`,
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|out|dist|release)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.svelte.ts', '.js', '.svelte', '.json'],
    },
    // Svelte components: the renderer's imports inside <script> blocks.
    extraExtensionsToScan: ['.svelte'],
  },
};
