/**
 * The import dialog's fields, what they start as, and the request they make. Images are copied
 * into the project unless the user picks referencing: a project that holds its own images keeps
 * working when the source folder is moved, renamed or deleted; referencing saves the disk of a
 * second copy of a large set, at that risk.
 */
import type { ImportFormat, ImportPlacement } from '$shared/library';

export interface ImportRequest {
  dir: string;
  format: ImportFormat;
  subjectPattern?: string;
  curate: boolean;
  placement: ImportPlacement;
  /** `images`: import the files that decode and skip the others (asked after a refusal). */
  skipBad?: boolean;
  /** Labelled sets: replace the user's edited faces with the file's labels. */
  overwriteLabels?: boolean;
}

export interface ImportForm {
  dir: string;
  format: ImportFormat;
  /** A regular expression, or blank for none. */
  subjectPattern: string;
  curate: boolean;
  placement: ImportPlacement;
  /** Labelled sets only: the file's labels replace faces the user changed. */
  overwriteLabels: boolean;
}

export interface PlacementChoice {
  id: ImportPlacement;
  label: string;
  hint: string;
}

export const PLACEMENT_CHOICES: readonly PlacementChoice[] = [
  {
    id: 'copy',
    label: 'Copy into the project',
    hint: 'The project keeps working if the folder moves or is deleted; the images take disk space twice.',
  },
  {
    id: 'reference',
    label: 'Reference in place — for large sets',
    hint: 'No copy is made; the project breaks if the folder moves.',
  },
];

export function newImportForm(): ImportForm {
  return {
    dir: '',
    format: 'images',
    subjectPattern: '',
    curate: false,
    placement: 'copy',
    overwriteLabels: false,
  };
}

export function importRequestOf(form: ImportForm): ImportRequest {
  const subjectPattern = form.subjectPattern.trim();
  return {
    dir: form.dir.trim(),
    format: form.format,
    curate: form.curate,
    placement: form.placement,
    ...(form.format !== 'images' ? { overwriteLabels: form.overwriteLabels } : {}),
    ...(subjectPattern ? { subjectPattern } : {}),
  };
}
