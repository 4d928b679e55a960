/**
 * `labels:template`: the labelling template placed on one face. It goes into the face box (the
 * one the labeller holds, else the stored annotation's or curation's, else a centred square), then
 * is fitted to the eyes and mouth corners a landmark net finds in the image (./template-fit.ts).
 * When the schema names no eyes, the image cannot be read, or the fit is implausible, the box
 * placement stands and `why` says so.
 */
import path from 'node:path';
import type { Box } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import { openImage } from '../library/image-source';
import type { ProjectStore } from '../project-store';
import type { FaceAnchors } from './template-fit';
import { fitTemplate, schemaAnchors, templateInBox } from './template-fit';
import { labellingTemplate } from './labelling-schemas';

export interface FittedTemplate {
  points: [number, number][];
  fit: 'eyes' | 'box';
  source: 'labelled' | 'schema';
  why?: string;
}

/** What finds the anchors: ./face-anchors.ts's `FaceAnchorFinder`, or a stand-in in tests. */
export interface AnchorFinder {
  find(image: Awaited<ReturnType<typeof openImage>>, box: Box): Promise<FaceAnchors>;
}

/** With no face box, half the shorter side, centred, is where a cropped face usually is. */
export function centredFaceBox(image: { width: number; height: number }): Box {
  const side = Math.min(image.width, image.height) / 2;
  return { x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function fittedTemplate(
  store: ProjectStore,
  request: { imageId: string; box?: Box | undefined },
  finder: () => Promise<AnchorFinder>,
): Promise<FittedTemplate> {
  const image = store.getImage(request.imageId);
  if (!image) {
    throw new StudioError('not-found', `Image ${request.imageId} is not in project ${store.dir}`);
  }
  const { template, templateSource } = await labellingTemplate(store);
  const stored = store.getFace(image.id)?.box ?? image.face?.box;
  const box = [request.box, stored].find((b) => b && b.width > 0 && b.height > 0);
  const into = box ?? centredFaceBox(image);
  const inBox = (why: string): FittedTemplate => ({
    points: templateInBox(template, into).map((p) => [p.x, p.y]),
    fit: 'box',
    source: templateSource,
    why,
  });
  const anchors = schemaAnchors(store.landmarkSchema);
  if (!anchors) return inBox(`the ${store.landmarkSchema.id} schema names no eyes to fit to`);
  let found: FaceAnchors;
  try {
    const opened = await openImage(path.resolve(store.dir, image.path));
    found = await (await finder()).find(opened, into);
  } catch (error) {
    return inBox(`the eyes could not be found (${message(error)})`);
  }
  const fitted = fitTemplate(template, into, anchors, found);
  if (!fitted) return inBox('the eyes found lie too far from the face box to trust');
  return { points: fitted.map((p) => [p.x, p.y]), fit: 'eyes', source: templateSource };
}
