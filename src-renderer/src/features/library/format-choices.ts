/** The import formats as the import dialog offers them (DESIGN §7), with what each expects. */
import type { ImportFormat } from '$shared/library';

export interface FormatChoice {
  id: ImportFormat;
  label: string;
  hint: string;
}

export const FORMAT_CHOICES: readonly FormatChoice[] = [
  { id: 'images', label: 'Images only', hint: 'Every image in the folder and its subfolders.' },
  { id: 'class-folders', label: 'Expression class folders', hint: '<folder>/<class>/<image>' },
  {
    id: 'pts',
    label: '300-W .pts',
    hint: 'NAME.pts beside NAME.jpg; train/test folders set splits.',
  },
  {
    id: 'coco',
    label: 'COCO keypoints',
    hint: 'annotations.json (or the one .json) and its images.',
  },
  { id: 'mtfl', label: 'MTFL', hint: 'training.txt and testing.txt with their image folders.' },
  { id: 'celeba', label: 'CelebA attributes', hint: 'list_attr_celeba.txt beside the images.' },
  { id: 'dlib', label: 'dlib XML', hint: 'Every .xml in the folder and its images.' },
  { id: 'yolo', label: 'YOLO pose', hint: 'data.yaml, images/ and labels/.' },
  { id: 'studio', label: 'Face Studio JSON', hint: 'studio-labels.json and its images.' },
];

/** Seconds as `1 h 02 min`, `3 min 05 s` or `12 s`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '…';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}
