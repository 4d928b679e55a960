/**
 * One writer per project folder, across processes: `project.lock` in the folder names the process
 * that holds the project open for writing — its pid, host, start time and what it is ("face-studio
 * serve"). Without it two processes each kept the project in memory and the last to write won: an
 * import's images or a label save acknowledged by one process were overwritten by the other.
 *
 * - Taking the lock is atomic: the record is written to a temp file, fsync'd, and hard-linked to
 *   `project.lock`, which fails if the name exists. A reader therefore never sees a half-written
 *   lock. (On a file system without hard links it is created with O_EXCL and written in place.)
 * - One process may hold several stores of one folder (a project session switching to the same
 *   folder): holders are counted per process and the file goes when the last one releases it.
 * - A lock is stale when its holder is on this host and gone: its pid is dead, or (Linux) the pid
 *   now belongs to another process, told apart by the boot id and start time in /proc. A taker
 *   removes a stale lock only while it holds `project.lock.takeover` (created the same exclusive
 *   way), after reading the lock again there: so of takers racing for one stale lock only one
 *   removes it, and never a lock another taker has made meanwhile; then it tries from the start.
 *   A takeover guard whose taker died is itself stale and removed. A lock held on another host is
 *   never taken over: the error names the host, pid and start time and says how to clear it.
 * - Locks still held when the process exits normally are removed then; a killed process leaves
 *   its lock, which is stale from then on.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, realpath, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { StudioError } from '../shared/errors';
import {
  describeWriteError,
  errorCode,
  isProcessAlive,
  syncFolder,
  tempPathFor,
  writeNewFileSynced,
} from './atomic-write';

export const LOCK_FILE = 'project.lock';
/** Held (for a moment) by the one taker that may remove a stale lock. */
const TAKEOVER_FILE = 'project.lock.takeover';
/** Rounds of takeFile; a round waits TAKEOVER_WAIT_MS only while another taker holds the guard. */
const MAX_ROUNDS = 200;
const TAKEOVER_WAIT_MS = 5;

/** What `project.lock` holds. */
export const LockRecord = z.object({
  /** What holds the project open, in the user's words: "face-studio serve", "the Face Studio app". */
  holder: z.string(),
  pid: z.number().int().positive(),
  host: z.string(),
  /** When the lock was taken (ISO 8601). */
  since: z.string(),
  /**
   * The holding process's identity beyond its pid: `<boot id>/<start time in clock ticks>` from
   * /proc on Linux, so a pid reused after the holder died is told apart; null elsewhere.
   */
  processStart: z.string().nullable(),
  /** This lock's own id: a release removes the file only while it still holds this id. */
  id: z.string(),
});
export type LockRecord = z.infer<typeof LockRecord>;

/** A lock this process holds on one folder; release it once per acquire. */
export interface ProjectLock {
  readonly file: string;
  readonly record: LockRecord;
  release(): void;
}

interface Held {
  file: string;
  record: LockRecord;
}

/** This process's hold on one folder: the take (shared by every holder) and the holders. */
interface Hold {
  taking: Promise<Held>;
  count: number;
}

/** Folders (real paths) this process holds or is taking. */
const holds = new Map<string, Hold>();
/** The locks this process has taken and not released, for isStale and the release on exit. */
const taken = new Map<string, Held>();
let holderName = defaultHolderName();
let exitHookInstalled = false;

/** Names this process in the locks it takes, e.g. "face-studio import". */
export function setLockHolderName(name: string): void {
  holderName = name;
}

/**
 * Takes the lock of the project folder `dir` for this process, or joins this process's hold on it.
 * Throws a StudioError naming the holder when another live process holds it.
 */
export async function acquireProjectLock(dir: string): Promise<ProjectLock> {
  const shown = path.resolve(dir);
  // Keyed by the real path: one folder reached by two paths is still one hold.
  const key = await realFolder(shown);
  let hold = holds.get(key);
  if (hold === undefined) {
    const taking = takeFile(shown).then((held) => {
      taken.set(key, held);
      return held;
    });
    const created: Hold = { taking, count: 0 };
    // A failed take leaves nothing behind for the next try.
    taking.catch(() => {
      if (holds.get(key) === created) holds.delete(key);
    });
    holds.set(key, created);
    hold = created;
  }
  // Counted at once, so a release while the take is still under way cannot drop the file.
  hold.count += 1;
  let held: Held;
  try {
    held = await hold.taking;
  } catch (error) {
    hold.count -= 1;
    throw error;
  }
  return handle(key, hold, held);
}

function handle(key: string, hold: Hold, held: Held): ProjectLock {
  let released = false;
  return {
    file: held.file,
    record: held.record,
    release() {
      if (released) return;
      released = true;
      hold.count -= 1;
      if (hold.count > 0) return;
      holds.delete(key);
      taken.delete(key);
      removeIfOurs(held);
    },
  };
}

async function takeFile(dir: string): Promise<Held> {
  const file = path.join(dir, LOCK_FILE);
  const record: LockRecord = {
    holder: holderName,
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    processStart: processStartOf(process.pid),
    id: randomUUID(),
  };
  const text = `${JSON.stringify(record, null, 2)}\n`;
  // Each round takes the lock, refuses, or works on one stale lock; only takers racing for the
  // same stale lock make it go round more than twice.
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    if (await createExclusive(dir, file, text)) {
      installExitHook();
      return { file, record };
    }
    const current = await readLockFile(file);
    if (current === 'missing') continue; // released just now: try again
    if (current === 'unreadable') throw unreadableError(file);
    if (!isStale(current)) throw heldError(dir, file, current);
    await removeStale(dir, file, current, text);
  }
  throw new StudioError(
    'conflict',
    `Cannot take the lock ${file}: other processes kept taking it at the same time, or ` +
      `${path.join(dir, TAKEOVER_FILE)} was left damaged (delete it if no Face Studio has this ` +
      `project open); try again`,
  );
}

/** Creates `file` holding `text` unless it exists; true when this call created it. */
async function createExclusive(dir: string, file: string, text: string): Promise<boolean> {
  const temp = tempPathFor(file);
  try {
    await writeNewFileSynced(temp, text);
    try {
      await link(temp, file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP')
        throw error;
      // No hard links here (FAT, some network shares): create in place, written at once.
      if (!(await createInPlace(file, text))) return false;
    }
    await syncFolder(dir);
    return true;
  } catch (error) {
    throw lockWriteError(file, error);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function createInPlace(file: string, text: string): Promise<boolean> {
  try {
    await writeNewFileSynced(file, text);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the stale lock `seen`, holding the takeover guard while it reads the lock again and
 * removes it; without the guard it waits a moment for the taker that has it, or removes a guard
 * whose taker died. (Two processes finding the same dead taker's guard at once could both go on;
 * that needs a taker killed mid-takeover and then a race, and is left at that.)
 */
async function removeStale(
  dir: string,
  file: string,
  seen: LockRecord,
  text: string,
): Promise<void> {
  const guard = path.join(dir, TAKEOVER_FILE);
  if (!(await createExclusive(dir, guard, text))) {
    const taker = await readLockFile(guard);
    if (taker !== 'missing' && taker !== 'unreadable' && isStale(taker)) {
      await unlink(guard).catch(() => undefined);
    } else if (taker !== 'missing') {
      await new Promise((resolve) => setTimeout(resolve, TAKEOVER_WAIT_MS));
    }
    return;
  }
  try {
    const current = await readLockFile(file);
    if (current !== 'missing' && current !== 'unreadable' && current.id === seen.id) {
      await unlink(file).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw lockWriteError(file, error);
      });
    }
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Removes the lock file if it still holds this lock. Best effort: see the module's doc. */
function removeIfOurs(held: Held): void {
  try {
    const current = LockRecord.safeParse(JSON.parse(readFileSync(held.file, 'utf8')));
    if (current.success && current.data.id === held.record.id) unlinkSync(held.file);
  } catch {
    // Gone already, or a read-only folder: a lock left behind is stale once this process ends.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const held of taken.values()) removeIfOurs(held);
    taken.clear();
  });
}

/** Whether the holder of `lock` is known to be gone. */
function isStale(lock: LockRecord): boolean {
  if (lock.host !== os.hostname()) return false;
  if (lock.pid === process.pid) {
    // This process takes each folder once and counts its holders: a lock with this pid that it
    // does not hold was left by an earlier process that had the same pid, or is a release's
    // leftover (a folder that turned read-only).
    return ![...taken.values()].some((held) => held.record.id === lock.id);
  }
  if (!isProcessAlive(lock.pid)) return true;
  if (lock.processStart === null) return false;
  const now = processStartOf(lock.pid);
  return now !== null && now !== lock.processStart;
}

/** `<boot id>/<start ticks>` of a process from /proc (Linux), or null where /proc has none. */
export function processStartOf(pid: number): string | null {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; fields count from there.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22, starttime; fields[0] is field 3.
    const ticks = fields[19];
    return ticks === undefined ? null : `${bootId}/${ticks}`;
  } catch {
    return null;
  }
}

async function readLockFile(file: string): Promise<LockRecord | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'missing';
    throw new StudioError('io', `Cannot read the lock ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const parsed = LockRecord.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function heldError(dir: string, file: string, lock: LockRecord): StudioError {
  const here = lock.host === os.hostname();
  // On this host, with its start time checked, the holder is known to be running.
  const clear =
    here && lock.processStart !== null
      ? ''
      : ` If that process is no longer running${here ? '' : ` on ${lock.host}`}, delete ${file}.`;
  return new StudioError(
    'conflict',
    `The project ${dir} is open in ${lock.holder}, pid ${lock.pid} on host ${lock.host} since ` +
      `${lock.since}; close it there first. Reading commands (\`project info\`, \`export\`) ` +
      `still work meanwhile.${clear}`,
  );
}

function unreadableError(file: string): StudioError {
  return new StudioError(
    'conflict',
    `The project's lock ${file} cannot be read (it is being written, or was damaged); if no ` +
      `Face Studio has this project open, delete ${file} and try again`,
  );
}

function lockWriteError(file: string, error: unknown): StudioError {
  if (error instanceof StudioError) return error;
  const described = describeWriteError(file, error);
  return new StudioError(
    'io',
    `${described.message}. The project is opened for writing only with its lock; reading ` +
      `commands (\`project info\`, \`export\`) open it without one`,
    { cause: error },
  );
}

/** A temp name removeAbandonedTempFiles clears once this process is gone. */
async function realFolder(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return dir;
  }
}

function defaultHolderName(): string {
  const script = process.argv[1];
  return script ? `node ${path.basename(script)}` : path.basename(process.execPath);
}
