/**
 * The import dialog's fields, what they start as, and the request they make. Images are copied
 * into the project unless the user picks referencing: a project that holds its own images keeps
 * working when the source folder is moved, renamed or deleted; referencing saves the disk of a
 * second copy of a large set, at that risk.
 */
import type { ImportFormat, ImportPlacement } from '../../../../src-main/shared/ipc-contract';

export interface ImportRequest {
  dir: string;
  format: ImportFormat;
  subjectPattern?: string;
  curate: boolean;
  placement: ImportPlacement;
}

export interface ImportForm {
  dir: string;
  format: ImportFormat;
  /** A regular expression, or blank for none. */
  subjectPattern: string;
  curate: boolean;
  placement: ImportPlacement;
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
  return { dir: '', format: 'images', subjectPattern: '', curate: false, placement: 'copy' };
}

export function importRequestOf(form: ImportForm): ImportRequest {
  const subjectPattern = form.subjectPattern.trim();
  return {
    dir: form.dir.trim(),
    format: form.format,
    curate: form.curate,
    placement: form.placement,
    ...(subjectPattern ? { subjectPattern } : {}),
  };
}
