/**
 * The parts of a face the canvas model does not hold (yes/no and one-of-N attributes, expression,
 * note), how a face
 * is written back as a `FaceAnnotation`, and how a schema is drawn (colours, the template's box).
 * Pure, so the labeller's state class stays a thin layer of `$state` over these functions.
 */
import type { Box, FaceAnnotation } from '$shared/domain';
import type { AttributeSchema, LandmarkSchema } from '$shared/schemas';
import type { FaceRecord } from './model/face-record';
import type { Size } from './model/transform';

export interface FaceDetails {
  attributes: Readonly<Record<string, boolean>>;
  /** One-of-N attributes by name, valued by class name (MTFL `pose`: `frontal`); absent = none. */
  classes: Readonly<Record<string, string>>;
  expression: string | null;
  note: string;
}

export const NO_DETAILS: FaceDetails = { attributes: {}, classes: {}, expression: null, note: '' };

export function detailsOf(
  face: Pick<FaceAnnotation, 'attributes' | 'classes' | 'expression' | 'note'> | null,
): FaceDetails {
  if (!face) return NO_DETAILS;
  return {
    attributes: { ...face.attributes },
    classes: { ...face.classes },
    expression: face.expression,
    note: face.note,
  };
}

/** A one-of-N attribute of the set (MTFL head pose), with its classes in the set's order. */
export interface ClassAttribute {
  name: string;
  classes: readonly string[];
}

/** The one-of-N attributes in schema order. */
export function classAttributes(schema: AttributeSchema | null): ClassAttribute[] {
  return (schema?.attributes ?? []).flatMap((a) =>
    a.kind === 'class' ? [{ name: a.name, classes: [...a.classes] }] : [],
  );
}

/** Sets a one-of-N attribute to `value`; choosing the class already chosen clears it. */
export function chooseClass(details: FaceDetails, name: string, value: string): FaceDetails {
  const { [name]: current, ...others } = details.classes;
  return { ...details, classes: current === value ? others : { ...others, [name]: value } };
}

/** The yes/no attributes in schema order: number keys 1–9 toggle the first nine. */
export function binaryAttributeNames(schema: AttributeSchema | null): string[] {
  return (schema?.attributes ?? []).flatMap((a) => (a.kind === 'binary' ? [a.name] : []));
}

/** An attribute nobody set reads as "no"; toggling it sets it to "yes". */
export function toggleAttribute(details: FaceDetails, name: string): FaceDetails {
  return { ...details, attributes: { ...details.attributes, [name]: !details.attributes[name] } };
}

/** Choosing the class already chosen clears it: one key both sets and unsets. */
export function chooseExpression(details: FaceDetails, expression: string): FaceDetails {
  return { ...details, expression: details.expression === expression ? null : expression };
}

/**
 * `updatedAt` is an ISO timestamp, now unless given (tests pin it). No revision: the store gives
 * the saved face its own, and the save names the revision it edits beside the face.
 */
export function toAnnotation(
  face: FaceRecord,
  details: FaceDetails,
  updatedAt: string = new Date().toISOString(),
): Omit<FaceAnnotation, 'revision'> {
  const annotation: Omit<FaceAnnotation, 'revision'> = {
    imageId: face.imageId,
    points: face.points.map((p) => ({ ...p })),
    attributes: { ...details.attributes },
    expression: details.expression,
    note: details.note,
    updatedAt,
  };
  // Written whenever set: a face imported with a pose keeps it through every edit in the labeller.
  if (Object.keys(details.classes).length > 0) annotation.classes = { ...details.classes };
  if (face.box) annotation.box = { ...face.box };
  return annotation;
}

/** Points no group lists are drawn grey. */
export const UNGROUPED_COLOUR = '#9aa3b2';

/** Each point's colour: that of the first group listing it (as `canvasSchemaOf` groups them). */
export function pointColours(schema: LandmarkSchema): string[] {
  const colours: string[] = schema.points.map(() => UNGROUPED_COLOUR);
  const coloured = new Set<number>();
  for (const group of schema.groups) {
    for (const i of group.points) {
      if (coloured.has(i) || i >= colours.length) continue;
      colours[i] = group.colour;
      coloured.add(i);
    }
  }
  return colours;
}

/**
 * Where a template goes when it cannot be fitted to the eyes (`labels:template` does that): into
 * the face box as it is, since the box a project stores is already the landmarks' box (curation
 * maps the detector's box onto it; shrinking it again by the detector's 1.27 put the brows on the
 * eyes); without a face box, a centred square of half the image's shorter side, where a cropped
 * face usually is.
 */
export function templateBox(box: Box | undefined, image: Size): Box {
  if (box && box.width > 0 && box.height > 0) return { ...box };
  const side = Math.min(image.width, image.height) / 2;
  return { x: (image.width - side) / 2, y: (image.height - side) / 2, width: side, height: side };
}

/**
 * Points in image px as a box-normalised template and the box they span, as
 * `CanvasModel.dropTemplate` takes them; null when they span no area.
 */
export function asTemplate(
  points: readonly (readonly [number, number])[],
): { template: { x: number; y: number }[]; box: Box } | null {
  if (points.length === 0) return null;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  const width = Math.max(...xs) - x;
  const height = Math.max(...ys) - y;
  if (!(width > 0 && height > 0)) return null;
  return {
    template: points.map(([px, py]) => ({ x: (px - x) / width, y: (py - y) / height })),
    box: { x, y, width, height },
  };
}
