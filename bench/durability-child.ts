/**
 * The kill bench's editor (bench/durability.bench.ts), killed with SIGKILL at a random moment.
 * Opens the project in `argv[2]` as the app does (with the lock) and edits it as fast as it can
 * until killed: two loops re-label the base's faces, one labels new images, one moves images
 * between splits (`setSplit`), one sets and clears curation flags (`putImages`, `keepFaces`), one
 * removes images (`removeImages`) and one adds new ones (`putImages`), each on its own images
 * (durability-plan.ts). Low compaction thresholds make the store fold both journals into
 * labels.json and project.json over and over meanwhile.
 *
 * Before an edit it writes `T` lines naming what the edit will make each image's record or face,
 * and once the store's promise has resolved, `A <seq>`; each line with one synchronous write, so a
 * line the parent read was written before the next step. `argv[3]` is the run's settings (JSON).
 */
import { writeSync } from 'node:fs';
import { ProjectStore } from '../src-main/core/project-store';
import { keepFaces, keptAsFace } from '../src-main/core/library/keep-faces';
import { setSplit } from '../src-main/core/library/library-service';
import { FaceAnnotation, ImageRecord, type Split } from '../src-main/shared/domain';
import { counterOf, faceWithCounter, imageId, imageRecord } from '../tests/support/project-data';
import { seededRandom } from '../tests/support/project-data';
import {
  ABSENT,
  addedImage,
  fingerprint,
  sliceImage,
  slices,
  type ChildSettings,
  type Slice,
} from './durability-plan';

const [dir, settingsArg] = process.argv.slice(2);
if (dir === undefined || settingsArg === undefined) {
  throw new Error('usage: durability-child.ts <project dir> <settings JSON>');
}
const settings = JSON.parse(settingsArg) as ChildSettings;
const random = seededRandom(settings.seed);
const SPLITS: readonly Split[] = ['pool', 'train', 'val', 'test'];
const FLAGS: readonly NonNullable<ImageRecord['flags']>[] = [
  ['no-face'],
  ['tiny-face'],
  ['near-duplicate'],
  ['no-face', 'near-duplicate'],
];

/** Writes a report line whole before returning (retrying while the parent drains the pipe). */
function report(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  for (let written = 0; written < bytes.length;) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const started = performance.now();
const store = await ProjectStore.open(dir, {
  labelDebounceMs: settings.labelDebounceMs,
  compactAfterFaces: settings.compactAfterFaces,
  compactAfterImageEdits: settings.compactAfterImageEdits,
});
report(`OPEN ${Math.round(performance.now() - started)}`);

const owned = slices(settings);
let seq = 0;

function pick(slice: Slice): string {
  return imageId(sliceImage(settings, slice, Math.floor(random() * slice.count)));
}

/** Lets the other loops (and the compactions) run between edits that needed no await. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Checks the store shows what was tried once the edit resolved (a bench bug otherwise). */
function expectNow(what: string, id: string, found: unknown, expected: string): void {
  if (fingerprint(found) !== expected) {
    throw new Error(`${what} ${id} reads ${fingerprint(found)} after its edit, not ${expected}`);
  }
}

async function faceLoop(slice: Slice): Promise<never> {
  for (;;) {
    const id = pick(slice);
    const stored = store.getFace(id);
    const face = faceWithCounter(id, stored === null ? 1 : counterOf(stored) + 1, settings.points);
    const value = fingerprint(
      FaceAnnotation.parse({ ...face, revision: (stored?.revision ?? 0) + 1 }),
    );
    const edit = (seq += 1);
    report(`T ${edit} face ${id} ${value}`);
    await store.saveFace(face, { baseRevision: stored?.revision ?? null });
    report(`A ${edit}`);
    expectNow('face', id, store.getFace(id), value);
  }
}

async function splitLoop(): Promise<never> {
  for (;;) {
    const split = SPLITS[Math.floor(random() * SPLITS.length)]!;
    const ids = [
      ...new Set(Array.from({ length: 1 + Math.floor(random() * 6) }, () => pick(owned.splits))),
    ];
    const changed = ids
      .map((id) => store.getImage(id))
      .filter((record): record is ImageRecord => record !== null && record.split !== split)
      .map((record) => ImageRecord.parse({ ...record, split }));
    if (changed.length === 0) {
      await yieldTurn();
      continue;
    }
    const edit = (seq += 1);
    for (const record of changed) report(`T ${edit} img ${record.id} ${fingerprint(record)}`);
    await setSplit(store, ids, split);
    report(`A ${edit}`);
    for (const record of changed) {
      expectNow('record', record.id, store.getImage(record.id), fingerprint(record));
    }
  }
}

async function flagLoop(): Promise<never> {
  for (;;) {
    const id = pick(owned.flags);
    const record = store.getImage(id)!;
    const keep = (record.flags ?? []).some((flag) => flag !== 'near-duplicate') && random() < 0.6;
    const next = keep
      ? keptAsFace(record)
      : ImageRecord.parse({ ...record, flags: FLAGS[Math.floor(random() * FLAGS.length)] });
    if (fingerprint(next) === fingerprint(record)) {
      await yieldTurn();
      continue;
    }
    const edit = (seq += 1);
    report(`T ${edit} img ${id} ${fingerprint(next)}`);
    if (keep) await keepFaces(store, [id]);
    else await store.putImages([next]);
    report(`A ${edit}`);
    expectNow('record', id, store.getImage(id), fingerprint(next));
  }
}

async function removeLoop(): Promise<never> {
  for (;;) {
    const ids = [
      ...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(owned.removals))),
    ].filter((id) => store.getImage(id) !== null);
    if (ids.length === 0) {
      await yieldTurn();
      continue;
    }
    const edit = (seq += 1);
    for (const id of ids) report(`T ${edit} img ${id} ${ABSENT}`);
    const started = performance.now();
    await store.removeImages(ids);
    report(`A ${edit}`);
    for (const id of ids) expectNow('record', id, store.getImage(id), ABSENT);
    // A removal rebuilds the library index (a second or so of CPU at 1M): leave the other loops
    // and the compactions most of the time.
    await new Promise((resolve) => setTimeout(resolve, 50 + 4 * (performance.now() - started)));
  }
}

async function importLoop(): Promise<never> {
  let k = 0;
  while (store.getImage(imageId(addedImage(settings, k))) !== null) k += 1;
  for (;;) {
    const records = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, j) =>
      ImageRecord.parse(imageRecord(addedImage(settings, k + j))),
    );
    const edit = (seq += 1);
    for (const record of records) report(`T ${edit} add ${record.id} ${fingerprint(record)}`);
    await store.putImages(records);
    report(`A ${edit}`);
    for (const record of records) {
      expectNow('record', record.id, store.getImage(record.id), fingerprint(record));
    }
    k += records.length;
  }
}

await Promise.all([
  faceLoop(owned.faces),
  faceLoop(owned.otherFaces),
  faceLoop(owned.newFaces),
  splitLoop(),
  flagLoop(),
  removeLoop(),
  importLoop(),
]).catch((error: unknown) => {
  report(`ERR ${error instanceof Error ? error.message : String(error)}`.replaceAll('\n', ' '));
  process.exit(1);
});
