/**
 * Atomic, durable file writes (docs/ARCHITECTURE.md, "Files on disk"): the bytes go to a temp file
 * in the target's folder, the temp file is fsync'd, renamed over the target, and the folder is
 * fsync'd so the rename itself survives a crash. A reader (or a process killed mid-write) therefore
 * sees either the old file or the new one, never a mix. Writes to one path run one after another,
 * in call order.
 */
import { open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../shared/errors';

/** Tail of the write queue of each path; an entry is removed once its last write settles. */
const queues = new Map<string, Promise<void>>();
let tempCounter = 0;

/**
 * Writes `data` to `file` atomically and durably. Resolves once the new content is on disk.
 * Concurrent calls for the same path are serialised, so they never interleave.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const target = path.resolve(file);
  const previous = queues.get(target) ?? Promise.resolve();
  // A failed earlier write must not block later ones: each write reports its own error.
  const next = previous.catch(() => undefined).then(() => writeNow(target, data));
  queues.set(target, next);
  const forget = () => {
    if (queues.get(target) === next) queues.delete(target);
  };
  next.then(forget, forget);
  return next;
}

/** Temp files carry the writer's pid so a later open can tell abandoned ones from live ones. */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}-${tempCounter}.tmp`,
  );
}

const TEMP_NAME = /^\.(.+)\.(\d+)-\d+\.tmp$/;

/**
 * Creates `file`, which must not exist yet (the open fails with EEXIST), holding `data`, and
 * fsyncs it before resolving.
 */
export async function writeNewFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeNow(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await writeNewFileSynced(temp, data);
    await renameWithRetry(temp, target);
    await syncFolder(path.dirname(target));
  } catch (error) {
    // After a successful rename the temp file is gone and this unlink is a harmless no-op.
    await unlink(temp).catch(() => undefined);
    throw describeWriteError(target, error);
  }
}

/**
 * On Windows a rename over a file that another process (a virus scanner, an indexer) holds open
 * fails for a moment with EPERM/EACCES/EBUSY; retry briefly there. Elsewhere rename is atomic.
 */
async function renameWithRetry(from: string, to: string): Promise<void> {
  const attempts = process.platform === 'win32' ? 10 : 1;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = errorCode(error);
      const transient = code === 'EPERM' || code === 'EACCES' || code === 'EBUSY';
      if (!transient || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/**
 * Makes a rename, a new file's name or an unlink in `folder` durable. Windows cannot open a folder
 * for fsync; NTFS journals those changes itself.
 */
export async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, …), or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code } = error as { code: unknown };
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Turns an fs error into a StudioError that names the file and says what went wrong. */
export function describeWriteError(file: string, error: unknown): StudioError {
  if (error instanceof StudioError) return error;
  const code = errorCode(error);
  const folder = path.dirname(file);
  let reason: string;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      reason = `the folder ${folder} is read-only or not writable (${code})`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      reason = `the disk is full (${code})`;
      break;
    case 'ENOENT':
    case 'ENOTDIR':
      reason = `the folder ${folder} does not exist (${code})`;
      break;
    default:
      reason = error instanceof Error ? error.message : String(error);
  }
  return new StudioError('io', `Cannot write ${file}: ${reason}`, { cause: error });
}

/**
 * Removes temp files left in `folder` by writers that were killed mid-write. Only files whose
 * writer process is gone are removed, so a live writer's temp file is never touched. Best effort:
 * a read-only folder simply keeps them.
 */
export async function removeAbandonedTempFiles(folder: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      await unlink(path.join(folder, name));
      removed += 1;
    } catch {
      // Read-only folder or already gone: harmless, the file is ignored by readers anyway.
    }
  }
  return removed;
}

/** Whether a process with this pid runs on this machine (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}
