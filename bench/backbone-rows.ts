/**
 * The backbones the few-shot table compares (bench/backbone-table.bench.ts), one row each, and
 * how a landmark head reads each one's taps. The ViT rows are the app's own (engine/backbones/
 * vit-backbone.ts, as the backbone registry offers them); a bench-only backbone (FaceRes, whose
 * weights state no licence) may have a row here but never enters the registry.
 */
import type { FaceBackbone } from '../src-main/engine/backbones/face-backbone';
import { loadFaceMesh } from '../src-main/engine/backbones/facemesh';
import { loadVitBackbone, randomVitBackbone } from '../src-main/engine/backbones/vit-backbone';

export interface BenchBackbone {
  /** Row label. */
  label: string;
  load(): Promise<FaceBackbone>;
  /** Tap read as the head's points (`[P, ≥2]` crop units), or null. */
  pointsTap: string | null;
  /** Tap(s) read as the head's feature maps (concatenated), or null. */
  mapTap: string | readonly string[] | null;
  /** Spatial tap the head's refinement samples at each first guess, or null (no refinement). */
  localTap: string | null;
}

/** The rows, in table order. `prosDir`: an exported ProS backbone folder, or none. */
export function benchBackbones(prosDir: string | null): BenchBackbone[] {
  const rows: BenchBackbone[] = [
    {
      label: 'random init (ViT tiny, patch tokens)',
      load: async () => randomVitBackbone(),
      pointsTap: null,
      mapTap: 'tokens',
      localTap: null,
    },
  ];
  if (prosDir) {
    rows.push({
      label: `own ProS ViT (${prosDir})`,
      load: () => loadVitBackbone('pros', 'ProS ViT', prosDir),
      pointsTap: null,
      mapTap: 'tokens',
      localTap: null,
    });
  }
  rows.push({
    label: 'FaceMesh (MediaPipe, Apache-2.0): mesh + p_re_lu_12 + p_re_lu_15, refined on p_re_lu_9',
    load: () => loadFaceMesh(),
    pointsTap: 'mesh',
    mapTap: ['p_re_lu_12', 'p_re_lu_15'],
    localTap: 'p_re_lu_9',
  });
  // Appearance backbone: its row goes here (branch `appearance`).
  return rows;
}
