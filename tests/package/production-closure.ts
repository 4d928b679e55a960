/**
 * The production dependency tree as npm installed it, read from package-lock.json: every package
 * reachable from package.json's `dependencies` and `optionalDependencies` (and their
 * dependencies, optional ones and peers), resolved the way Node does from each package's folder,
 * kept only where the package is on disk (an optional package for another platform, or one whose
 * install failed, is in the lock but not installed). What electron-builder must pack.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

interface LockPackage {
  name?: string;
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface PackageLock {
  packages: Record<string, LockPackage>;
}

/** The package name of a lock key: `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function nameOfLockKey(key: string): string {
  return key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Node's lookup: `<from>/node_modules/<name>`, then each enclosing node_modules up to the root. */
function resolveFrom(lock: PackageLock, from: string, name: string): string | null {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return null;
    const enclosing = base.lastIndexOf('/node_modules/');
    base = enclosing === -1 ? '' : base.slice(0, enclosing);
  }
}

/** `name@version` of every installed production package. */
export function productionPackages(lock: PackageLock, projectDir: string): Set<string> {
  const root = lock.packages[''];
  if (!root) throw new Error('package-lock.json has no root package entry ("packages"."")');
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (from: string, names: Iterable<string>) => {
    for (const name of names) {
      const key = resolveFrom(lock, from, name);
      if (key === null || seen.has(key)) continue;
      if (!existsSync(path.join(projectDir, key, 'package.json'))) continue;
      seen.add(key);
      queue.push(key);
    }
  };
  visit('', [
    ...Object.keys(root.dependencies ?? {}),
    ...Object.keys(root.optionalDependencies ?? {}),
  ]);
  for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
    const entry = lock.packages[key]!;
    const peers = Object.keys(entry.peerDependencies ?? {}).filter(
      (name) => !entry.peerDependenciesMeta?.[name]?.optional,
    );
    visit(key, [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...peers,
    ]);
  }
  return new Set([...seen].map((key) => `${nameOfLockKey(key)}@${lock.packages[key]!.version}`));
}

/** `name@version` of every package the lock marks dev-only (needed by devDependencies alone). */
export function devOnlyPackages(lock: PackageLock): Set<string> {
  const dev = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key !== '' && entry.dev) dev.add(`${nameOfLockKey(key)}@${entry.version}`);
  }
  return dev;
}
