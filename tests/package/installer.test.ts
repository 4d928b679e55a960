/**
 * The packed app (electron-builder.yml), checked on the tree an installer would carry: builds
 * main, preload and renderer with electron-vite, packs them with `electron-builder --linux dir`
 * against a stand-in Electron distribution (a script holding Electron's fuse wire, so nothing is
 * downloaded and the fuses electron-builder flips can be read back), then reads app.asar and
 * app.asar.unpacked. Run by `npm run test:package` (not `npm test`: it takes minutes), in a
 * checkout whose node_modules is a real folder (docs/ARCHITECTURE.md, "Layers and processes").
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as asar from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devOnlyPackages, productionPackages, type PackageLock } from './production-closure';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARCH = process.arch;
/** @electron/fuses' sentinel: the fuse wire (version, length, one byte per fuse) follows it. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** A fuse's byte on the wire: ASCII '0' or '1' (@electron/fuses' FuseState, not exported). */
const FuseState = { DISABLE: 0x30, ENABLE: 0x31 } as const;
type FuseState = (typeof FuseState)[keyof typeof FuseState];

/** What the packaged binary must say, fuse by fuse (electron-builder.yml, electronFuses). */
const EXPECTED_FUSES: [FuseV1Options, FuseState][] = [
  [FuseV1Options.RunAsNode, FuseState.DISABLE],
  [FuseV1Options.EnableCookieEncryption, FuseState.ENABLE],
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable, FuseState.DISABLE],
  [FuseV1Options.EnableNodeCliInspectArguments, FuseState.DISABLE],
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation, FuseState.ENABLE],
  [FuseV1Options.OnlyLoadAppFromAsar, FuseState.ENABLE],
  [FuseV1Options.GrantFileProtocolExtraPrivileges, FuseState.DISABLE],
];

let work = '';
let resources = '';
let executable = '';
/** Every path in app.asar, relative, with `/`. */
let entries: string[] = [];
let unpackedOnDisk: string[] = [];

/** Files under `dir`, relative, with `/`. */
async function filesUnder(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true });
  return found
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    );
}

/**
 * A folder electron-builder takes for an unpacked Electron: an `electron` executable. It holds
 * the fuse sentinel and a wire set to the opposite of every expected fuse, so each flip shows.
 */
async function writeStandInElectron(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const wire = Buffer.alloc(8, FuseState.DISABLE);
  for (const [fuse, state] of EXPECTED_FUSES) {
    wire[fuse] = state === FuseState.ENABLE ? FuseState.DISABLE : FuseState.ENABLE;
  }
  const file = path.join(dir, 'electron');
  await writeFile(
    file,
    Buffer.concat([
      Buffer.from(`#!/bin/sh\necho "a stand-in for Electron"\nexit 1\n# ${FUSE_SENTINEL}`),
      Buffer.from([1, wire.length]),
      wire,
      Buffer.from('\n'),
    ]),
  );
  await chmod(file, 0o755);
}

async function tool(name: string, args: string[]): Promise<void> {
  const bin = path.join(ROOT, 'node_modules', '.bin', name);
  try {
    await run(bin, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${name} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

beforeAll(async () => {
  const modules = await lstat(path.join(ROOT, 'node_modules'));
  if (modules.isSymbolicLink()) {
    throw new Error(
      `${path.join(ROOT, 'node_modules')} is a symbolic link: electron-builder would silently ` +
        'leave out every transitive dependency, so the packed tree would prove nothing. Run ' +
        '`npm run test:package` in a checkout with its own node_modules (a hard-linked copy is ' +
        'enough: `git clone <checkout> /tmp/pack && cp -al <checkout>/node_modules /tmp/pack/`).',
    );
  }
  work = await mkdtemp(path.join(os.tmpdir(), 'face-studio-pack-'));
  const electronDist = path.join(work, 'electron-dist');
  await writeStandInElectron(electronDist);
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  await tool('electron-vite', ['build']);
  await tool('electron-builder', [
    '--linux',
    'dir',
    `--${ARCH}`,
    '--publish',
    'never',
    `--config.electronDist=${electronDist}`,
    `--config.electronVersion=${pkg.devDependencies.electron}`,
    `--config.directories.output=${path.join(work, 'release')}`,
  ]);
  const appOut = path.join(
    work,
    'release',
    ARCH === 'x64' ? 'linux-unpacked' : `linux-${ARCH}-unpacked`,
  );
  resources = path.join(appOut, 'resources');
  executable = path.join(appOut, 'face-studio');
  entries = asar
    .listPackage(path.join(resources, 'app.asar'), { isPack: false })
    .map((entry) => entry.split(path.sep).join('/').replace(/^\/+/, ''));
  unpackedOnDisk = await filesUnder(path.join(resources, 'app.asar.unpacked'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Whether the asar header says `entry` lives in app.asar.unpacked. */
function isUnpacked(entry: string): boolean {
  const info = asar.statFile(path.join(resources, 'app.asar'), entry) as { unpacked?: boolean };
  return info.unpacked === true;
}

/** `name@version` of every package folder in the asar (a node_modules/<name>/package.json). */
function packedPackages(): Map<string, string> {
  const packages = new Map<string, string>();
  for (const entry of entries) {
    const match = /^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(entry);
    if (!match) continue;
    const manifest = JSON.parse(
      asar.extractFile(path.join(resources, 'app.asar'), entry).toString('utf8'),
    ) as { name?: string; version?: string };
    // A package.json deeper inside a package (a test fixture, a sub-build) is not a package.
    if (manifest.name !== match[1]) continue;
    packages.set(`${manifest.name}@${manifest.version}`, entry);
  }
  return packages;
}

describe('the packed app (electron-builder --linux dir)', () => {
  it('holds the built main, preload and renderer, and nothing else of the project', () => {
    for (const file of [
      'package.json',
      'out/main/index.js',
      'out/main/training-process.js',
      'out/main/grad-worker.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
    ]) {
      expect(entries, file).toContain(file);
    }
    expect(entries.some((e) => /^out\/renderer\/assets\/index-[\w-]+\.js$/.test(e))).toBe(true);
    const topLevel = new Set(entries.map((e) => e.split('/')[0]));
    expect([...topLevel].sort()).toEqual(['node_modules', 'out', 'package.json']);
  });

  it('has no tests, source maps, sources or TypeScript outside the built files', () => {
    const all = [...entries, ...unpackedOnDisk];
    expect(all.filter((e) => e.endsWith('.map'))).toEqual([]);
    expect(all.filter((e) => /(^|\/)(tests|__tests__)\//.test(e))).toEqual([]);
    expect(all.filter((e) => /\.(test|spec)\.[cm]?tsx?$/.test(e))).toEqual([]);
    expect(
      all.filter((e) => /^(src-main|src-renderer|scripts|bench|research|docs)\//.test(e)),
    ).toEqual([]);
    expect(all.filter((e) => !e.startsWith('node_modules/') && /\.tsx?$/.test(e))).toEqual([]);
  });

  it('packs every installed production dependency and no dev-only package', async () => {
    const lock = JSON.parse(
      await readFile(path.join(ROOT, 'package-lock.json'), 'utf8'),
    ) as PackageLock;
    const production = productionPackages(lock, ROOT);
    const packed = packedPackages();
    // Sanity: the closure reaches the transitive packages a symlinked node_modules loses.
    for (const name of ['@tensorflow/tfjs-core', 'sharp', 'onnxruntime-common']) {
      expect(
        [...production].some((p) => p.startsWith(`${name}@`)),
        name,
      ).toBe(true);
    }
    expect([...production].filter((p) => !packed.has(p)).sort()).toEqual([]);
    expect([...packed.keys()].filter((p) => !production.has(p)).sort()).toEqual([]);
    const devOnly = devOnlyPackages(lock);
    expect([...packed.keys()].filter((p) => devOnly.has(p) && !production.has(p))).toEqual([]);
    for (const name of ['electron', 'electron-builder', 'vite', 'vitest', 'svelte', 'typescript']) {
      expect(
        [...packed.keys()].some((p) => p.startsWith(`${name}@`)),
        name,
      ).toBe(false);
    }
  });

  it('unpacks every native addon, shared library and wasm binary', () => {
    const binaries = entries.filter((e) => /\.(node|wasm|so(\.\d+)*|dylib|dll)$/.test(e));
    expect(binaries.filter((e) => !isUnpacked(e))).toEqual([]);
    expect(binaries.filter((e) => !unpackedOnDisk.includes(e))).toEqual([]);
    for (const expected of [
      /^node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm\.wasm$/,
      /^node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/,
      new RegExp(`^node_modules/@img/sharp-linux-${ARCH}/lib/sharp-linux-${ARCH}-[\\d.]+\\.node$`),
      new RegExp(`^node_modules/@img/sharp-libvips-linux-${ARCH}/lib/libvips-cpp\\.so\\.[\\d.]+$`),
      new RegExp(`^node_modules/webgpu/dist/linux-${ARCH}/dawn\\.node$`),
      new RegExp(
        `^node_modules/onnxruntime-node/bin/napi-v6/linux/${ARCH}/onnxruntime_binding\\.node$`,
      ),
      new RegExp(
        `^node_modules/onnxruntime-node/bin/napi-v6/linux/${ARCH}/libonnxruntime\\.so\\.1$`,
      ),
    ]) {
      expect(
        unpackedOnDisk.some((f) => expected.test(f)),
        String(expected),
      ).toBe(true);
    }
  });

  it('unpacks every model file the backbones read, byte for byte the installed size', async () => {
    const modelDirs = ['@vladmandic/human/models', '@vladmandic/face-api/model'];
    let count = 0;
    for (const dir of modelDirs) {
      for (const file of await filesUnder(path.join(ROOT, 'node_modules', dir))) {
        const packed = `node_modules/${dir}/${file}`;
        if (!/\.(json|bin)$/.test(file)) continue;
        expect(unpackedOnDisk, packed).toContain(packed);
        const [installed, unpacked] = await Promise.all([
          stat(path.join(ROOT, 'node_modules', dir, file)),
          stat(path.join(resources, 'app.asar.unpacked', packed)),
        ]);
        expect(unpacked.size, packed).toBe(installed.size);
        count++;
      }
    }
    // FaceMesh, mini-Xception (emotion) and FaceRes graphs, face-api's manifests: more than a few.
    expect(count).toBeGreaterThan(20);
    for (const graph of ['facemesh.json', 'emotion.json', 'faceres.json']) {
      expect(unpackedOnDisk).toContain(`node_modules/@vladmandic/human/models/${graph}`);
    }
  });

  it("keeps only this platform's and architecture's prebuilt binaries", () => {
    const all = [...entries, ...unpackedOnDisk];
    const dawn = new Set(
      all.flatMap((e) => /^node_modules\/webgpu\/dist\/([^/]+)\//.exec(e)?.[1] ?? []),
    );
    expect([...dawn]).toEqual([`linux-${ARCH}`]);
    const ort = new Set(
      all.flatMap(
        (e) => /^node_modules\/onnxruntime-node\/bin\/napi-v6\/([^/]+\/[^/]+)\//.exec(e)?.[1] ?? [],
      ),
    );
    expect([...ort]).toEqual([`linux/${ARCH}`]);
    const sharp = new Set(
      all.flatMap((e) => /^node_modules\/@img\/(sharp-[^/]+)\//.exec(e)?.[1] ?? []),
    );
    expect([...sharp].sort()).toEqual([`sharp-libvips-linux-${ARCH}`, `sharp-linux-${ARCH}`]);
  });

  it('ships the built-in schemas beside the app, without the icon sources', async () => {
    const extra = await filesUnder(path.join(resources, 'resources'));
    expect(extra.some((f) => f.startsWith('schemas/') && f.endsWith('.json'))).toBe(true);
    expect(extra.filter((f) => f.startsWith('icons/'))).toEqual([]);
  });

  it('flips the Electron fuses in the packaged binary', async () => {
    expect(existsSync(executable)).toBe(true);
    const wire = (await getCurrentFuseWire(executable)) as unknown as Record<number, number>;
    for (const [fuse, state] of EXPECTED_FUSES) {
      expect(wire[fuse], FuseV1Options[fuse]).toBe(state);
    }
  });
});
