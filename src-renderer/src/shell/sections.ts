/**
 * The four sections of an open project, in the order of the user's work: import, label, train, use
 * the models.
 */
import type { Section } from '../lib/app.svelte';

export interface SectionInfo {
  id: Section;
  label: string;
  /** One line on what the section is for, in the user's words (the button's hover text). */
  purpose: string;
}

export const SECTIONS: readonly SectionInfo[] = [
  {
    id: 'library',
    label: 'Library',
    purpose: 'Import face images or labelled sets; non-faces and near-duplicates get flagged.',
  },
  {
    id: 'label',
    label: 'Label',
    purpose: 'Place landmarks from the schema template, mark occlusions, tick attributes.',
  },
  {
    id: 'train',
    label: 'Train',
    purpose: 'Pre-train a backbone on the unlabelled pool, then fine-tune heads on the labels.',
  },
  {
    id: 'models',
    label: 'Models',
    purpose: 'Compare validation metrics and export TensorFlow.js models with their cards.',
  },
];
