/**
 * The Python that runs the cluster recipe's tests: Debian's python3-torch (1.13, with gloo and
 * torchrun) and python3-pil (train.py reads images with Pillow), which .ci/run installs. A test
 * that needs them fails, never skips, when they are missing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Candidates in order: $FACE_STUDIO_PYTHON, the python3 on PATH, Debian's own. */
const CANDIDATES = [process.env.FACE_STUDIO_PYTHON, 'python3', '/usr/bin/python3'].filter(
  (p): p is string => Boolean(p),
);

let found: Promise<string> | null = null;

/** A Python whose torch imports and has gloo; an Error saying what to install otherwise. */
export function pythonWithTorch(): Promise<string> {
  found ??= (async () => {
    for (const python of CANDIDATES) {
      const ok = await run(python, [
        '-c',
        'import PIL, torch.distributed as d; assert d.is_available() and d.is_gloo_available()',
      ]).then(
        () => true,
        () => false,
      );
      if (ok) return python;
    }
    throw new Error(
      `No Python with PyTorch, gloo and Pillow (tried ${CANDIDATES.join(', ')}): install Debian's ` +
        'python3-torch and python3-pil (apt-get install python3-torch python3-pil, as .ci/run ' +
        'does), or set FACE_STUDIO_PYTHON',
    );
  })();
  return found;
}

/**
 * torchrun's arguments for `nproc` CPU processes on this machine. `--redirects 2 --tee 2`: torch
 * 1.13's torchrun cannot parse its own default (`0`) on Python 3.11, so say where stderr goes.
 */
export function torchrunArgs(nproc: number): string[] {
  return [
    '-m',
    'torch.distributed.run',
    '--standalone',
    '--nproc_per_node',
    String(nproc),
    '--redirects',
    '2',
    '--tee',
    '2',
  ];
}

/**
 * The smallest pre-training run the recipe tests train (the rest of each test's config on top):
 * seconds per step on a busy 2-core machine; 32 px input = a 4×4 patch grid.
 */
export const TINY_TORCH_RUN = {
  model: { preset: 'tiny', imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2 },
  headHidden: 32,
  headBottleneck: 16,
  prototypes: 64,
  batchSize: 4,
  localCrops: 2,
} as const;
