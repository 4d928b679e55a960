/**
 * One 300w-helen test face for the labeller's end-to-end specs: a project made from Node with that
 * image (the Library UI is not needed), its ground-truth points, and the stage's transform read
 * from the page so a test can click at an image pixel.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { toLandmark } from '../../src-main/core/formats/model';
import { parsePtsFile } from '../../src-main/core/formats/pts';
import { ProjectStore } from '../../src-main/core/project-store';
import type { Landmark } from '../../src-main/shared/domain';
import { env } from './studio';

const HELEN = path.join('..', 'shared', 'data', '300w-helen', 'test');
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
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const file = path.join('images', `${HELEN_IMAGE}.jpg`);
  await copyFile(path.join(HELEN, `${HELEN_IMAGE}.jpg`), path.join(dir, file));
  const bytes = await readFile(path.join(dir, file));
  const imageId = createHash('sha256').update(bytes).digest('hex');
  const meta = await sharp(bytes).metadata();
  await store.putImages([
    { id: imageId, path: file, width: meta.width!, height: meta.height!, split: 'pool' },
  ]);
  await store.close();
  const pts = await readFile(path.join(HELEN, `${HELEN_IMAGE}.pts`), 'utf8');
  const truth = parsePtsFile(pts, `${HELEN_IMAGE}.pts`, { pointCount: 68 }).map(toLandmark);
  return { dir, imageId, truth };
}
