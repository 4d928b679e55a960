/**
 * The kill bench's checker (bench/durability.bench.ts), run in a fresh process after each kill as
 * the app would reopen the project: `fingerprint` mode records the base project's records and
 * faces once; `check` mode opens the project with the lock (taking over the killed child's),
 * compares every record and face with the base or, for the images an edit touched, with what the
 * model allows, and writes a CheckResult to RESULT in the work folder (not stdout: a pipe's
 * pending bytes are lost to process.exit). Uses the store's public API only.
 *
 * usage: durability-check.ts fingerprint|check <project dir> <work dir> [--deep] [--close]
 * --deep also parses project.json and labels.json whole and checks their shape; --close closes
 * the store (which folds the journals); without it the checker ends holding the lock, as a crash
 * right after reopening would, and the next child takes the lock over.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ProjectStore } from '../src-main/core/project-store';
import {
  ABSENT,
  BASE,
  BASE_FACES,
  BASE_RECORDS,
  EXPECTED,
  RESULT,
  canonical,
  fingerprint,
  type CheckResult,
  type Expected,
  type Observed,
} from './durability-plan';

interface BaseFaces {
  meta: string;
  faces: Record<string, string>;
}

const [mode, dir, work, ...flags] = process.argv.slice(2);
if ((mode !== 'fingerprint' && mode !== 'check') || dir === undefined || work === undefined) {
  throw new Error('usage: durability-check.ts fingerprint|check <project dir> <work dir>');
}
const MAX_PROBLEMS = 20;

const problems: string[] = [];
function problem(text: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(text);
}

/** The sidecars are derived and written atomically: one present must parse whole. */
async function checkFiles(deep: boolean): Promise<void> {
  const names = await readdir(dir!);
  for (const name of ['labels.summary.json', 'project.checked.json']) {
    if (!names.includes(name)) continue;
    try {
      JSON.parse(await readFile(path.join(dir!, name), 'utf8'));
    } catch (error) {
      problem(`${name} does not parse: ${(error as Error).message}`);
    }
  }
  if (!deep) return;
  try {
    const project = JSON.parse(await readFile(path.join(dir!, 'project.json'), 'utf8')) as {
      images?: unknown;
    };
    if (!Array.isArray(project.images)) problem('project.json has no images array');
  } catch (error) {
    problem(`project.json does not parse: ${(error as Error).message}`);
  }
  try {
    const labels = JSON.parse(await readFile(path.join(dir!, 'labels.json'), 'utf8')) as {
      faces?: unknown;
    };
    if (typeof labels.faces !== 'object' || labels.faces === null)
      problem('labels.json has no faces');
  } catch (error) {
    problem(`labels.json does not parse: ${(error as Error).message}`);
  }
}

function idKey(id: string): bigint {
  return BigInt(`0x${id.slice(0, 16)}`);
}

async function fingerprintBase(store: ProjectStore): Promise<void> {
  const images = store.listImages();
  const records = Buffer.alloc(images.length * 16);
  const faces: Record<string, string> = {};
  images.forEach((image, i) => {
    records.writeBigUInt64BE(idKey(image.id), i * 16);
    records.write(fingerprint(image), i * 16 + 8, 'hex');
    const face = store.getFace(image.id);
    if (face !== null) faces[image.id] = fingerprint(face);
  });
  await writeFile(path.join(work!, BASE_RECORDS), records);
  const base: BaseFaces = { meta: canonical(store.meta), faces };
  await writeFile(path.join(work!, BASE_FACES), JSON.stringify(base));
}

async function check(
  store: ProjectStore,
  expected: Expected,
): Promise<Omit<CheckResult, 'openMs' | 'openCpuMs' | 'checkMs' | 'problems'>> {
  const records = await readFile(path.join(work!, BASE_RECORDS));
  const base = JSON.parse(await readFile(path.join(work!, BASE_FACES), 'utf8')) as BaseFaces;
  if (canonical(store.meta) !== base.meta)
    problem(`the project's meta changed: ${canonical(store.meta)}`);

  // Base images an edit may have removed, by id key; added images, by id.
  const removable = new Set<bigint>();
  for (const [id, allowed] of Object.entries(expected.images)) {
    if (allowed.includes(ABSENT)) removable.add(idKey(id));
  }
  const addedAt = new Map(expected.added.map((id, i) => [id, i]));
  const observed: Observed = { images: {}, faces: {}, added: [] };
  const images = store.listImages();
  const baseCount = records.length / 16;
  let p = 0;
  let recordsChecked = 0;
  let facesChecked = 0;
  let lastAdded = -1;
  /** Touched base images' values in the base, for BASE in their allowed lists. */
  const baseValues = new Map<string, string>();
  for (const [i, image] of images.entries()) {
    const value = fingerprint(image);
    const allowed = expected.images[image.id];
    const added = addedAt.get(image.id);
    if (added !== undefined) {
      if (added < lastAdded) problem(`added image ${image.id} is out of the order it was added in`);
      lastAdded = added;
      observed.added.push(image.id);
    } else {
      const key = idKey(image.id);
      while (
        p < baseCount &&
        records.readBigUInt64BE(p * 16) !== key &&
        removable.has(records.readBigUInt64BE(p * 16))
      ) {
        p += 1;
      }
      if (p >= baseCount || records.readBigUInt64BE(p * 16) !== key) {
        problem(
          `image ${image.id} at index ${i} is not the base's image there (order changed, or an image came from nowhere)`,
        );
        continue;
      }
      const baseValue = records.toString('hex', p * 16 + 8, p * 16 + 16);
      if (allowed !== undefined) baseValues.set(image.id, baseValue);
      else if (baseValue !== value) {
        problem(
          `image ${image.id} at index ${i} was not edited but its record changed: ${JSON.stringify(image)}`,
        );
      }
      p += 1;
    }
    recordsChecked += 1;
    // Touched records and faces are compared with the model below.
    const face = store.getFace(image.id);
    if (face !== null) facesChecked += 1;
    if (expected.faces[image.id] === undefined) {
      const faceValue = fingerprint(face);
      const baseValue = base.faces[image.id] ?? ABSENT;
      if (faceValue !== baseValue) {
        problem(
          `image ${image.id} was not labelled but its face changed: ${faceValue} (note ${face?.note}, revision ${face?.revision}), not ${baseValue}`,
        );
      }
    }
  }
  for (; p < baseCount; p += 1) {
    if (!removable.has(records.readBigUInt64BE(p * 16))) {
      problem(`base image ${records.toString('hex', p * 16, p * 16 + 8)}… (index ${p}) is missing`);
    }
  }
  // A removed base image or an added one had no record in the base (ABSENT: a removal's value).
  for (const [id, allowed] of Object.entries(expected.images)) {
    const record = store.getImage(id);
    const value = fingerprint(record);
    observed.images[id] = value;
    const base = baseValues.get(id) ?? ABSENT;
    const resolved = allowed.map((item) => (item === BASE ? base : item));
    if (!resolved.includes(value)) {
      problem(
        `image ${id}'s record is ${value} (${JSON.stringify(record)}); the edits allow ${resolved.join(' or ')}`,
      );
    }
  }
  for (const [id, allowed] of Object.entries(expected.faces)) {
    const face = store.getFace(id);
    const value = fingerprint(face);
    observed.faces[id] = value;
    const resolved = allowed.map((item) => (item === BASE ? (base.faces[id] ?? ABSENT) : item));
    if (!resolved.includes(value)) {
      problem(
        `image ${id}'s face is ${value} (note ${face?.note}, revision ${face?.revision}); the edits allow ${resolved.join(' or ')}`,
      );
    }
  }
  if (store.summary().imageCount !== images.length)
    problem('summary().imageCount is not the index length');
  return {
    observed,
    recordsChecked,
    facesChecked,
    editsChecked: Object.keys(expected.images).length + Object.keys(expected.faces).length,
  };
}

const deep = flags.includes('--deep');
await checkFiles(deep);
const cpu = process.cpuUsage();
const started = performance.now();
let store: ProjectStore;
try {
  store = await ProjectStore.open(dir);
} catch (error) {
  problem(`the project does not open: ${(error as Error).message}`);
  await writeFile(path.join(work, RESULT), JSON.stringify({ problems }));
  process.exit(0);
}
const openMs = performance.now() - started;
const openCpu = process.cpuUsage(cpu);
const checkStart = performance.now();
if (mode === 'fingerprint') {
  await fingerprintBase(store);
  await store.close();
  await writeFile(path.join(work, RESULT), JSON.stringify({ problems, openMs }));
} else {
  const expected = JSON.parse(await readFile(path.join(work, EXPECTED), 'utf8')) as Expected;
  const found = await check(store, expected);
  const checkMs = performance.now() - checkStart;
  // Background writes of the open (a sidecar) end before this process does.
  if (flags.includes('--close')) await store.close();
  else await store.flush();
  const result: CheckResult = {
    problems,
    ...found,
    openMs: Math.round(openMs),
    openCpuMs: Math.round((openCpu.user + openCpu.system) / 1000),
    checkMs: Math.round(checkMs),
  };
  await writeFile(path.join(work, RESULT), JSON.stringify(result));
}
process.exit(0);
