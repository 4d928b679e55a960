/**
 * What every label format module exports: one descriptor saying what the format can carry, how
 * to recognise its folder, how to read it into the neutral model (model.ts) and how to write that
 * model back out. The registry (registry.ts) lists them; the import, the library export and
 * `predict` go through it instead of switching on the format's name.
 */
import type { Split } from '../../shared/domain';
import { StudioError } from '../../shared/errors';
import type { ExportFormat } from '../../shared/library';
import type { ModelTask } from '../../shared/model-card';
import type { LandmarkSchema } from '../../shared/schemas';
import type { ImageSize } from '../coordinate-bounds';
import type { LabelledImage, LabelledSet } from './model';

/** A label format's id: the import and export formats, `images` aside. */
export type LabelFormatId = ExportFormat;

/** A folder as detection sees it: the names, dotfiles left out, one level of sub-folders deep. */
export interface FolderListing {
  /** The files directly in the folder. */
  files: readonly string[];
  /** Each sub-folder, by name, with the files directly in it. */
  folders: ReadonlyMap<string, readonly string[]>;
}

/** An image read from a labelled set, with what its files say beyond the neutral model. */
export interface SourceImage extends LabelledImage {
  split?: Split;
  /** The annotation file its labels come from, when one file holds many images' labels. */
  labelsFrom?: string;
}

export interface ReadContext {
  /** The folder to read, or the label file the user named. */
  path: string;
  /** Whether `path` is a label file rather than a folder. */
  isFile: boolean;
  /** The project schema's point count; a file with another count is a problem. */
  pointCount: number;
  /** The project's expression classes, when its attribute set has them. */
  expressions?: readonly string[];
  /** First group, matched on the file name, is the subject. */
  subjectPattern?: RegExp;
  /** A label file found in the folder, after checking that it really lies inside it. */
  labelFile(file: string): Promise<string>;
  /** An image's real size, by path relative to the folder, after the same check. */
  imageSize(file: string): Promise<ImageSize>;
}

export interface WriteContext {
  /** The points' schema (point names, mirror pairs, edges), when the labels have points. */
  landmarks: LandmarkSchema | null;
  /** Schema ids, for formats that record them (the studio's JSON). */
  landmarkSchemaId: string | null;
  attributeSchemaId: string | null;
  /** The yes/no attribute names in order, for formats that list them (CelebA). */
  attributeNames: readonly string[];
  /** What the set is called, for formats that name it (dlib XML). */
  name: string;
  /** An image's split, by its file in the set, for formats that keep splits apart (MTFL). */
  splitOf(file: string): Split | undefined;
}

export interface WrittenLabels {
  /** Label files: path relative to the folder → text. */
  texts: { file: string; text: string }[];
  /**
   * Where each image goes when the folder names are the labels (class folders): these copies
   * are the labels and are always made. Absent: each image is copied under its own name.
   */
  placement?: { source: string; target: string }[];
}

/** What a format can hold; a label the format cannot hold is left out of what it writes. */
export interface FormatCarries {
  points: boolean;
  /**
   * What a point's visibility can say: `full`, not labelled, occluded or visible (COCO, YOLO, the
   * studio's JSON); `labelled`, only whether it is labelled (dlib XML leaves the part out);
   * `none`, every point reads as visible (300-W `.pts`, MTFL).
   */
  visibility: 'full' | 'labelled' | 'none';
  boxes: boolean;
  /** Yes/no attributes (`Smiling`). */
  attributes: boolean;
  /** One-of-N attributes (MTFL `pose`). */
  classes: boolean;
  expression: boolean;
  /** Who placed each point and whether a person confirmed it. */
  unconfirmed: boolean;
}

/** What a format carries: the labels named, and nothing else. */
export function carrying(labels: Partial<FormatCarries>): FormatCarries {
  return {
    points: false,
    visibility: 'none',
    boxes: false,
    attributes: false,
    classes: false,
    expression: false,
    unconfirmed: false,
    ...labels,
  };
}

export interface LabelFormat {
  id: LabelFormatId;
  /** As the user reads it: `COCO keypoints`. */
  name: string;
  /** What a folder in this format holds, for messages. */
  expects: string;
  carries: FormatCarries;
  /**
   * The model tasks whose predictions alone fill this format, or `any`. Empty when a row needs
   * more than one model predicts (MTFL: points and attributes together).
   */
  predictions: readonly ModelTask[] | 'any';
  /** The built-in landmark schema every file of the format follows (MTFL: `five`), if one. */
  landmarkSchema?: string;
  /** A face without placed points has no row (MTFL), so its image is left out of an export. */
  needsPoints: boolean;
  /** The folder images are written under (`images/` for YOLO), `/`-terminated, or ''. */
  imageFolder: string;
  /** Whether a folder holds a set in this format, judged by its names alone. */
  detect(listing: FolderListing): boolean;
  /** Every image and its labels, or an InputProblemsError listing every problem. */
  read(context: ReadContext): Promise<SourceImage[]>;
  /** The label files for a set whose image paths are as they will be in the folder. */
  write(set: LabelledSet, context: WriteContext): WrittenLabels;
}

/** The points' schema a format that names its points needs, or a clear error without one. */
export function requireLandmarks(schema: LandmarkSchema | null, format: string): LandmarkSchema {
  if (schema) return schema;
  throw new StudioError('invalid-payload', `Cannot write ${format} without a landmark schema`);
}
