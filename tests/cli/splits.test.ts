/**
 * `face-studio splits` in this process, on CK+ faces imported from class folders (all of them land
 * in the pool): seeded shares of the labelled faces with every subject on one side only, the same
 * seed giving the same splits, a list file, and a wrong call (exit 2) or bad list (exit 1) named.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Split } from '../../src-main/shared/domain';
import { DATA } from '../core/formats/data-paths';
import { runCliInProcess } from './run-cli';

const CLASSES = ['anger', 'happy', 'surprise'];
const PER_CLASS = 20;
let workDir: string;
let project: string;
let source: string;
/** The import of the 60 CK+ faces into the fresh project, every test's starting point. */
let imported: Awaited<ReturnType<typeof runCliInProcess>>;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'cli-splits-'));
  source = path.join(workDir, 'ck');
  for (const name of CLASSES) {
    await mkdir(path.join(source, name), { recursive: true });
    const files = (await readdir(path.join(DATA, 'ck48', name))).sort().slice(0, PER_CLASS);
    for (const file of files) {
      await copyFile(path.join(DATA, 'ck48', name, file), path.join(source, name, file));
    }
  }
  project = path.join(workDir, 'project');
  const created = await runCliInProcess(['project', 'create', project, '--attributes', 'ckplus7']);
  expect(created.code).toBe(0);
  imported = await runCliInProcess([
    'import',
    source,
    '--project',
    project,
    '--format',
    'class-folders',
  ]);
}, 60_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Each image's split and subject, read from the project. */
async function readSplits(): Promise<
  { split: Split; subject: string | undefined; file: string }[]
> {
  const store = await ProjectStore.open(project, { readOnly: true });
  try {
    return store.listImages().map((image) => ({
      split: image.split,
      subject: image.subject,
      file: path.basename(image.path),
    }));
  } finally {
    await store.close();
  }
}

describe('face-studio splits', () => {
  it('says where the labelled faces went when an import leaves them all in the pool', async () => {
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain(
      'splits: train 0 (0 labelled) · val 0 (0 labelled) · test 0 (0 labelled) · pool 60 (60 labelled)',
    );
    expect(imported.stderr).toContain(`face-studio splits --project ${project}`);
  });

  it('assigns seeded shares by subject: no person on two sides, the same seed the same splits', async () => {
    const args = [
      'splits',
      '--project',
      project,
      '--ratio',
      '8,1,1',
      '--seed',
      '7',
      '--subject-pattern',
      '^(S\\d{3})_',
    ];
    const first = await runCliInProcess(args);
    expect(first.stderr).toMatch(/^\d+ subjects$/m);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as {
      assigned: number;
      changed: number;
      splits: Record<Split, { images: number; labelled: number }>;
    };
    expect(summary.assigned).toBe(60);
    expect(summary.splits.pool.images).toBe(0);
    expect(summary.splits.train.labelled).toBeGreaterThan(summary.splits.val.labelled);
    expect(summary.splits.val.labelled).toBeGreaterThan(0);
    expect(summary.splits.test.labelled).toBeGreaterThan(0);

    const images = await readSplits();
    const sides = new Map<string, Set<Split>>();
    for (const image of images) {
      expect(image.subject).toBe(image.file.slice(0, 4));
      const set = sides.get(image.subject!) ?? new Set<Split>();
      set.add(image.split);
      sides.set(image.subject!, set);
    }
    expect(sides.size).toBeGreaterThan(3);
    expect([...sides.values()].every((set) => set.size === 1)).toBe(true);

    const again = await runCliInProcess(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ assigned: 60, changed: 0 });
    const other = await runCliInProcess([...args.slice(0, -4), '--seed', '8', ...args.slice(-2)]);
    expect(JSON.parse(other.stdout).changed).toBeGreaterThan(0);
  });

  it('assigns from a list file, a split on each line or one for all', async () => {
    // From any state the other tests leave: every face out of the pool first.
    const assigned = await runCliInProcess(['splits', '--project', project, '--ratio', '8,1,1']);
    expect(assigned.code).toBe(0);
    const [a, b, c] = (await readSplits()).map((image) => image.file);
    const list = path.join(workDir, 'held-out.txt');
    await writeFile(list, `# two for test\n${a} test\nanger/${b}, val\n`);
    const result = await runCliInProcess(['splits', '--project', project, '--from', list]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ assigned: 2 });
    const only = path.join(workDir, 'pool.txt');
    await writeFile(only, `${c}\n`);
    const pooled = await runCliInProcess([
      'splits',
      '--project',
      project,
      '--from',
      only,
      '--split',
      'pool',
    ]);
    expect(pooled.code).toBe(0);
    const byFile = new Map((await readSplits()).map((image) => [image.file, image.split]));
    expect([byFile.get(a!), byFile.get(c!)]).toEqual(['test', 'pool']);
    expect(JSON.parse(pooled.stdout).splits.pool).toMatchObject({ images: 1, labelled: 1 });
  });

  it('names each bad line of a list (exit 1) and changes nothing', async () => {
    const before = await readSplits();
    const list = path.join(workDir, 'bad.txt');
    await writeFile(
      list,
      `${before[0]!.file} train\nnobody.png test\nnowhere/${before[1]!.file} val\n`,
    );
    const result = await runCliInProcess(['splits', '--project', project, '--from', list]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${list}:2`);
    expect(result.stderr).toContain('nobody.png is no image of the project');
    expect(result.stderr).toContain(`${list}:3`);
    expect(result.stderr).toContain(`nowhere/${before[1]!.file} is no image of the project`);
    expect(await readSplits()).toEqual(before);
  });

  it('exits 2 for a wrong call: a pattern without a group, --split without --from, a bad ratio', async () => {
    for (const [args, message] of [
      [['--subject-pattern', '^S\\d+_'], 'needs a capture group'],
      [['--split', 'test'], '--split goes with --from FILE'],
      [['--ratio', '0.8,0.1'], 'expected TRAIN,VAL,TEST'],
      [['--from', 'x.txt', '--ratio', '8,1,1'], '--ratio does not go with --from'],
      [['--split', 'later', '--from', 'x.txt'], '--split later: expected pool, train, val, test'],
    ] as const) {
      const result = await runCliInProcess(['splits', '--project', project, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: face-studio splits');
    }
  });

  it('exits 1 when there are no labelled faces to split, pointing at --all', async () => {
    const empty = path.join(workDir, 'empty');
    expect((await runCliInProcess(['project', 'create', empty])).code).toBe(0);
    const result = await runCliInProcess(['splits', '--project', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no labelled faces to assign');
  });
});
