/**
 * The project lock across real processes: a child (fixtures/lock-child.ts) takes, holds, releases
 * or dies with the lock, and this process tries to take it meanwhile.
 */
import { spawn } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LOCK_FILE,
  acquireProjectLock,
  processStartOf,
  setLockHolderName,
  type LockRecord,
} from '../../src-main/core/project-lock';
import { StudioError } from '../../src-main/shared/errors';
import { bundleLockChild, startLockChild, type LockChild } from './fixtures/lock-children';

let work: string;
let bundle: string;
let dir: string;
let file: string;
const live = new Set<LockChild>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-lock-'));
  bundle = await bundleLockChild(work);
  setLockHolderName('the lock test');
});
afterAll(async () => {
  for (const child of live) child.kill();
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(work, 'project-'));
  file = path.join(dir, LOCK_FILE);
});

async function child(holder = 'face-studio serve', mode: 'lock' | 'store' = 'lock') {
  const started = await startLockChild(bundle, mode, dir, holder);
  live.add(started);
  void started.ended.then(() => live.delete(started));
  return started;
}

/** Sends `command` and returns the child's answer. */
async function ask(to: LockChild, command: string): Promise<string> {
  to.send(command);
  return to.line();
}

async function lockOnDisk(): Promise<LockRecord> {
  return JSON.parse(await readFile(file, 'utf8')) as LockRecord;
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => proc.once('close', resolve));
  return proc.pid!;
}

function staleRecord(pid: number, overrides: Partial<LockRecord> = {}): LockRecord {
  return {
    holder: 'face-studio import',
    pid,
    host: os.hostname(),
    since: '2026-01-02T03:04:05.000Z',
    processStart: null,
    id: `stale-${pid}`,
    ...overrides,
  };
}

async function refusal(): Promise<StudioError> {
  const error: unknown = await acquireProjectLock(dir).then(
    () => new Error('the lock was taken'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StudioError);
  expect((error as StudioError).code).toBe('conflict');
  return error as StudioError;
}

describe('the project lock', () => {
  it('holds pid, host, start time and holder while taken, and is removed on release', async () => {
    const lock = await acquireProjectLock(dir);
    const record = await lockOnDisk();
    expect(record).toEqual(lock.record);
    expect(record).toMatchObject({
      holder: 'the lock test',
      pid: process.pid,
      host: os.hostname(),
      processStart: processStartOf(process.pid),
    });
    expect(Number.isNaN(Date.parse(record.since))).toBe(false);
    lock.release();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('counts the holders of one process: the file stays until the last release', async () => {
    const first = await acquireProjectLock(dir);
    const second = await acquireProjectLock(dir);
    expect(second.record.id).toBe(first.record.id);
    first.release();
    first.release(); // a second release of the same hold changes nothing
    expect((await lockOnDisk()).id).toBe(first.record.id);
    const other = await child();
    expect(await ask(other, 'TAKE')).toMatch(/^REFUSED .*the lock test/);
    second.release();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await ask(other, 'TAKE')).toBe('TOOK');
    expect(await ask(other, 'RELEASE')).toBe('RELEASED');
  });

  it('refuses while another process holds it, naming the holder, and leaves its lock alone', async () => {
    const holder = await child('face-studio serve');
    expect(await ask(holder, 'TAKE')).toBe('TOOK');
    const before = await readFile(file, 'utf8');
    const held = JSON.parse(before) as LockRecord;

    const error = await refusal();
    expect(error.message).toContain(
      `is open in face-studio serve, pid ${holder.pid} on host ${os.hostname()} since ${held.since}`,
    );
    expect(error.message).toContain(dir);
    expect(await readFile(file, 'utf8')).toBe(before);

    expect(await ask(holder, 'RELEASE')).toBe('RELEASED');
    const lock = await acquireProjectLock(dir);
    expect((await lockOnDisk()).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over the lock of a holder that was killed', async () => {
    const holder = await child();
    expect(await ask(holder, 'TAKE')).toBe('TOOK');
    holder.kill('SIGKILL');
    await holder.ended;
    expect((await lockOnDisk()).pid).toBe(holder.pid); // left behind

    const lock = await acquireProjectLock(dir);
    expect(await lockOnDisk()).toEqual(lock.record);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (start time differs)', async () => {
    // A live process that holds no lock, standing in for one that got the dead holder's pid.
    const bystander = await child();
    const canTell = processStartOf(bystander.pid) !== null;
    expect(canTell).toBe(process.platform === 'linux');
    await writeFile(
      file,
      JSON.stringify(staleRecord(bystander.pid, { processStart: 'another-boot/12345' })),
    );
    if (canTell) {
      const lock = await acquireProjectLock(dir);
      expect((await lockOnDisk()).pid).toBe(process.pid);
      lock.release();
    } else {
      // Without /proc only the pid can be checked, and it is alive.
      expect((await refusal()).message).toContain(`pid ${bystander.pid}`);
    }
  });

  it('is removed when its holder exits without releasing it', async () => {
    const holder = await child();
    expect(await ask(holder, 'TAKE')).toBe('TOOK');
    holder.send('EXIT');
    expect(await holder.ended).toEqual({ code: 0, signal: null });
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('never takes over a lock held on another host, and says how to clear it', async () => {
    const text = JSON.stringify(staleRecord(await deadPid(), { host: 'gpu-box.example' }));
    await writeFile(file, text);
    const { message } = await refusal();
    expect(message).toContain('face-studio import, pid');
    expect(message).toContain('on host gpu-box.example since 2026-01-02T03:04:05.000Z');
    expect(message).toContain(
      `If that process is no longer running on gpu-box.example, delete ${file}`,
    );
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('refuses a lock file it cannot read, naming it, and leaves it alone', async () => {
    await writeFile(file, '{"holder": "cut sh');
    const { message } = await refusal();
    expect(message).toContain(`The project's lock ${file} cannot be read`);
    expect(await readFile(file, 'utf8')).toBe('{"holder": "cut sh');
  });

  it('takes over a stale lock even when a taker died holding the takeover guard', async () => {
    const dead = await deadPid();
    const guard = path.join(dir, 'project.lock.takeover');
    await writeFile(file, JSON.stringify(staleRecord(dead)));
    await writeFile(guard, JSON.stringify(staleRecord(dead, { id: 'dead-taker' })));
    const lock = await acquireProjectLock(dir);
    expect(await lockOnDisk()).toEqual(lock.record);
    await expect(readFile(guard)).rejects.toMatchObject({ code: 'ENOENT' });
    lock.release();
  });

  it('lets exactly one of several processes racing for a stale lock take it', async () => {
    const racers = await Promise.all([1, 2, 3, 4].map(() => child('racer')));
    const dead = await deadPid();
    for (let round = 0; round < 16; round += 1) {
      await writeFile(file, JSON.stringify(staleRecord(dead, { id: `stale-${round}` })));
      for (const racer of racers) racer.send('TAKE');
      const answers = await Promise.all(racers.map((racer) => racer.line()));
      const winners = racers.filter((_, i) => answers[i] === 'TOOK');
      expect(winners, `round ${round}: ${answers.join(' | ')}`).toHaveLength(1);
      const winner = winners[0]!;
      for (const answer of answers.filter((answer) => answer !== 'TOOK')) {
        expect(answer).toContain(`pid ${winner.pid} on host`);
      }
      expect((await lockOnDisk()).pid).toBe(winner.pid);
      expect(await ask(winner, 'RELEASE')).toBe('RELEASED');
    }
  });
});

describe('whose lock it is', () => {
  /** The start of the refusal, for a holder on this host. */
  const openIn = (pid: number) =>
    `The project ${dir} is open in face-studio import, pid ${pid} on host ${os.hostname()} ` +
    `since 2026-01-02T03:04:05.000Z; close it there first. Reading commands (\`project info\`, ` +
    `\`export\`) still work meanwhile.`;

  it('refuses a live holder whose start time it can check, with no advice to delete', async () => {
    const holder = await child();
    const start = processStartOf(holder.pid);
    expect(start).not.toBeNull();
    const text = JSON.stringify(staleRecord(holder.pid, { processStart: start }));
    await writeFile(file, text);
    expect((await refusal()).message).toBe(openIn(holder.pid));
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('refuses a live holder that recorded no start time, saying when to delete the lock', async () => {
    const holder = await child();
    const text = JSON.stringify(staleRecord(holder.pid));
    await writeFile(file, text);
    expect((await refusal()).message).toBe(
      `${openIn(holder.pid)} If that process is no longer running, delete ${file}.`,
    );
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it("takes over a lock with this process's pid that it does not hold", async () => {
    // Holding another folder meanwhile: only the locks this process holds are not stale.
    const elsewhere = path.join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const other = await acquireProjectLock(elsewhere);
    await writeFile(file, JSON.stringify(staleRecord(process.pid, { id: 'left-behind' })));
    const lock = await acquireProjectLock(dir);
    expect(await lockOnDisk()).toEqual(lock.record);
    expect(lock.record.id).not.toBe('left-behind');
    lock.release();
    other.release();
  });

  it('refuses its own lock in a folder moved while held (not stale: this process holds it)', async () => {
    const before = path.join(dir, 'before');
    const after = path.join(dir, 'after');
    await mkdir(before);
    const lock = await acquireProjectLock(before);
    await rename(before, after);
    const error: unknown = await acquireProjectLock(after).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({
      code: 'conflict',
      message:
        `The project ${after} is open in the lock test, pid ${process.pid} on host ` +
        `${os.hostname()} since ${lock.record.since}; close it there first. Reading commands ` +
        `(\`project info\`, \`export\`) still work meanwhile.` +
        (lock.record.processStart === null
          ? ` If that process is no longer running, delete ${path.join(after, LOCK_FILE)}.`
          : ''),
    });
    expect(JSON.parse(await readFile(path.join(after, LOCK_FILE), 'utf8'))).toEqual(lock.record);
    lock.release();
  });

  it("leaves a lock file that no longer holds this lock's id on release", async () => {
    const lock = await acquireProjectLock(dir);
    const text = JSON.stringify(staleRecord(process.pid, { id: 'someone-else' }));
    await writeFile(file, text);
    lock.release();
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('names the lock it cannot read, as an io error', async () => {
    await mkdir(file);
    const error: unknown = await acquireProjectLock(dir).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({
      code: 'io',
      message: `Cannot read the lock ${file}: EISDIR: illegal operation on a directory, read`,
    });
  });

  it('gives up, naming the guard, on a lock that is there and is not (a dangling link)', async () => {
    // link() finds the name taken, read finds no file: "released just now", round after round.
    await symlink(path.join(dir, 'nowhere'), file);
    const error: unknown = await acquireProjectLock(dir).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StudioError);
    expect(error).toMatchObject({
      code: 'conflict',
      message:
        `Cannot take the lock ${file}: other processes kept taking it at the same time, or ` +
        `${path.join(dir, 'project.lock.takeover')} was left damaged (delete it if no Face ` +
        `Studio has this project open); try again`,
    });
    // Every round's temp file is gone.
    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE]);
  });

  it('waits on a damaged takeover guard, then gives up naming it, leaving both files', async () => {
    const guard = path.join(dir, 'project.lock.takeover');
    const lockText = JSON.stringify(staleRecord(await deadPid()));
    await writeFile(file, lockText);
    await writeFile(guard, '{"holder": "cut sh');
    const error: unknown = await acquireProjectLock(dir).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`${guard} was left damaged`) as unknown,
    });
    expect(await readFile(file, 'utf8')).toBe(lockText);
    expect(await readFile(guard, 'utf8')).toBe('{"holder": "cut sh');
  });

  it('names the folder a lock cannot be written in, and says reading commands still work', async () => {
    const gone = path.join(dir, 'gone');
    const error: unknown = await acquireProjectLock(gone).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'io',
      message:
        `Cannot write ${path.join(gone, LOCK_FILE)}: the folder ${gone} does not exist (ENOENT). ` +
        `The project is opened for writing only with its lock; reading commands ` +
        `(\`project info\`, \`export\`) open it without one`,
    });
    // A failed take leaves no hold behind: the folder, once made, is taken.
    await mkdir(gone);
    const lock = await acquireProjectLock(gone);
    expect(lock.file).toBe(path.join(gone, LOCK_FILE));
    lock.release();
  });
});

describe('the release on exit', () => {
  it("registers one 'exit' hook, which removes every lock still held", async () => {
    // A fresh copy of the module: its hook is not installed yet.
    vi.resetModules();
    const fresh = await import('../../src-main/core/project-lock');
    const on = vi.spyOn(process, 'on');
    try {
      const second = path.join(dir, 'second');
      await mkdir(second);
      await fresh.acquireProjectLock(dir);
      await fresh.acquireProjectLock(second);
      const hooks = on.mock.calls.filter(([event]) => event === 'exit');
      expect(hooks.length).toBe(1);
      const [, hook] = hooks[0]!;
      process.removeListener('exit', hook);
      (hook as () => void)();
      await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(readFile(path.join(second, LOCK_FILE))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      on.mockRestore();
    }
  });
});
