/**
 * One 300w-helen test face for the labeller's end-to-end specs: a project made from Node with that
 * image (the Library UI is not needed), its ground-truth points, the stage's transform read
 * from the page so a test can click at an image pixel, and a face's points clicked into place
 * through the labeller as a person would.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import sharp from 'sharp';
import { toLandmark } from '../../src-main/core/formats/model';
import { parsePtsFile } from '../../src-main/core/formats/pts';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Landmark, Split } from '../../src-main/shared/domain';
import { env } from './studio';

/** The 300w-helen set: `train/` and `test/`, each image beside its .pts file. */
export const HELEN_ROOT = path.join('..', 'shared', 'data', '300w-helen');
/** Its test folder, where the labeller specs' face comes from. */
export const HELEN = path.join(HELEN_ROOT, 'test');
export const HELEN_IMAGE = '296814969_3';

export interface StageView {
  scale: number;
  offsetX: number;
  offsetY: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

export async function stageView(page: Page): Promise<StageView> {
  const stage = page.getByTestId('labelling-stage');
  const box = await stage.boundingBox();
  if (!box) throw new Error('The stage is not on screen');
  const read = async (name: string) => Number(await stage.getAttribute(name));
  return {
    scale: await read('data-scale'),
    offsetX: await read('data-offset-x'),
    offsetY: await read('data-offset-y'),
    left: box.x,
    top: box.y,
    width: box.width,
    height: box.height,
  };
}

/** Page position of an image pixel under the stage's current transform. */
export function onPage(view: StageView, p: { x: number; y: number }): { x: number; y: number } {
  return {
    x: view.left + p.x * view.scale + view.offsetX,
    y: view.top + p.y * view.scale + view.offsetY,
  };
}

/** Whether every point of `truth` lies on the stage under `view`, where a click can reach it. */
export function allOnStage(view: StageView, truth: readonly { x: number; y: number }[]): boolean {
  return truth.every((p) => {
    const at = onPage(view, p);
    return (
      at.x > view.left &&
      at.x < view.left + view.width &&
      at.y > view.top &&
      at.y < view.top + view.height
    );
  });
}

/**
 * Clicks each point of `truth`, in order, at its page position on the face the labeller shows
 * (in place mode, each click places the next point of the schema). Checks first that the face as
 * shown has every point on the stage: none to scroll to. Returns the view it clicked under: one
 * screen pixel there is `1 / scale` image pixels, the most a placed point may be off.
 */
export async function clickPoints(
  page: Page,
  truth: readonly { x: number; y: number }[],
): Promise<StageView> {
  const view = await stageView(page);
  expect(allOnStage(view, truth), 'every point of the face is on the stage').toBe(true);
  for (const p of truth) {
    const at = onPage(view, p);
    await page.mouse.click(at.x, at.y);
  }
  return view;
}

export interface HelenProject {
  dir: string;
  imageId: string;
  /** The image's 300-W points, as a person's labels. */
  truth: Landmark[];
}

/** Puts the Helen test image into a fresh project folder, before the studio opens it. */
export async function makeHelenProject(
  folder: string,
  name: string,
  attributeSchema: string | null,
): Promise<HelenProject> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), folder);
  const store = await ProjectStore.create(dir, { name, landmarkSchema: 'ibug68', attributeSchema });
  const { imageId, truth } = await addHelenFace(store, dir, HELEN, HELEN_IMAGE, 'pool', false);
  await store.close();
  return { dir, imageId, truth };
}

/** Sorted names (no extension) of the images in a HELEN folder. */
export async function helenNames(folder: string): Promise<string[]> {
  return (await readdir(folder))
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .map((name) => name.slice(0, -4));
}

/**
 * Copies `<folder>/<name>.jpg` into the project's images/ and records it in `split`; when
 * `labelled`, its .pts points are saved as the face's labels (as a person's). Returns the image id
 * and the points either way (the ground truth of a face left unlabelled).
 */
export async function addHelenFace(
  store: ProjectStore,
  dir: string,
  folder: string,
  name: string,
  split: Split,
  labelled: boolean,
): Promise<{ imageId: string; truth: Landmark[] }> {
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const file = path.join('images', `${name}.jpg`);
  await copyFile(path.join(folder, `${name}.jpg`), path.join(dir, file));
  const bytes = await readFile(path.join(dir, file));
  const imageId = createHash('sha256').update(bytes).digest('hex');
  const meta = await sharp(bytes).metadata();
  await store.putImages([
    { id: imageId, path: file, width: meta.width!, height: meta.height!, split },
  ]);
  const pts = await readFile(path.join(folder, `${name}.pts`), 'utf8');
  const truth = parsePtsFile(pts, `${name}.pts`, { pointCount: 68 }).map(toLandmark);
  if (labelled)
    await store.saveFace({ imageId, points: truth, updatedAt: new Date().toISOString() });
  return { imageId, truth };
}

/**
 * A folder for the import dialog, inside the projects root (browser mode imports only from
 * there): `<folder>/<subfolder>/<name>.jpg` for each name, with its .pts beside it when
 * `labelled`. Returns each image's ground truth by its id (the sha256 of its bytes, as the
 * import names it), so a spec can click a face's points wherever the library puts it.
 */
export async function helenImportFolder(
  folder: string,
  names: readonly string[],
  options: { from: string; subfolder?: string; labelled: boolean },
): Promise<Map<string, Landmark[]>> {
  const dir = path.join(env('STUDIO_PROJECTS_ROOT'), folder, options.subfolder ?? '');
  await mkdir(dir, { recursive: true });
  const truths = new Map<string, Landmark[]>();
  for (const name of names) {
    const bytes = await readFile(path.join(options.from, `${name}.jpg`));
    await copyFile(path.join(options.from, `${name}.jpg`), path.join(dir, `${name}.jpg`));
    const pts = await readFile(path.join(options.from, `${name}.pts`), 'utf8');
    if (options.labelled)
      await copyFile(path.join(options.from, `${name}.pts`), path.join(dir, `${name}.pts`));
    const id = createHash('sha256').update(bytes).digest('hex');
    truths.set(id, parsePtsFile(pts, `${name}.pts`, { pointCount: 68 }).map(toLandmark));
  }
  return truths;
}
