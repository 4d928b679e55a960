/**
 * Loads a TF.js graph model that ships inside an installed npm package (`model.json` plus its
 * weight files) through graph-file-loader.ts's in-memory IOHandler: Node has no `file://` loader
 * without tfjs-node, and the app never downloads weights (docs/ARCHITECTURE.md, "Backbones and
 * tasks").
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../shared/errors';
import { loadGraphFile } from './graph-file-loader';

const requireFromHere = createRequire(import.meta.url);

/**
 * Absolute path of `file` inside the installed package `pkg` (e.g. `@vladmandic/human`). In a
 * packaged app the weights sit in app.asar.unpacked (electron-builder's asarUnpack), where `fs`
 * reads them.
 */
export function packageFile(pkg: string, file: string): string {
  // Packages with an `exports` map (like @vladmandic/human) hide package.json from
  // require.resolve, so look for the folder along Node's own search paths.
  for (const dir of requireFromHere.resolve.paths(pkg) ?? []) {
    const root = path.join(dir, pkg);
    if (existsSync(path.join(root, 'package.json')))
      return path.join(root, file).replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  }
  throw new StudioError('not-found', `The package ${pkg} is not installed (needed for ${file})`);
}

/** `tf.loadGraphModel` on `file` of the installed package `pkg`. */
export async function loadPackageGraphModel(pkg: string, file: string): Promise<tf.GraphModel> {
  return loadGraphFile(packageFile(pkg, file));
}
