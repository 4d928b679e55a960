/**
 * What the training side reads of a project (docs/ARCHITECTURE.md, "Files on disk"): a snapshot of
 * its image index and labels, read by ProjectStore's one reader opened read-only, so the checks of
 * schema versions (a newer project is refused by name, an older one migrated in memory only),
 * labels.json plus the label journal replayed in order, and the stable read under a compaction
 * all live in the store. Training processes never write a project's files and never take its
 * lock: the studio may hold the project open and write it meanwhile.
 */
import type { FaceAnnotation, ImageRecord, ProjectMeta } from '../../shared/domain';
import type { LandmarkSchema } from '../../shared/schemas';
import { ProjectStore } from '../../core/project-store';

/** A project's index and labels as they were on disk when read. */
export interface ProjectSnapshot {
  dir: string;
  meta: ProjectMeta;
  /** The project's landmark schema, built in or its own. */
  landmarks: LandmarkSchema;
  images: readonly ImageRecord[];
  /** The face of each image of the index that has one. */
  faces: ReadonlyMap<string, FaceAnnotation>;
}

/** The snapshot of what an open store holds now. */
export function snapshotOf(store: ProjectStore): ProjectSnapshot {
  const images = store.listImages();
  const faces = new Map<string, FaceAnnotation>();
  for (const image of images) {
    const face = store.getFace(image.id);
    if (face) faces.set(image.id, face);
  }
  return { dir: store.dir, meta: store.meta, landmarks: store.landmarkSchema, images, faces };
}

/** Reads the project in `projectDir` read-only: no lock taken, nothing written. */
export async function readProjectSnapshot(projectDir: string): Promise<ProjectSnapshot> {
  const store = await ProjectStore.open(projectDir, { readOnly: true });
  try {
    return snapshotOf(store);
  } finally {
    await store.close();
  }
}
