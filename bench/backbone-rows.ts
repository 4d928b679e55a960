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
  /** Tap read as the head's feature map, or null. */
  mapTap: string | null;
}

/** The rows, in table order. `prosDir`: an exported ProS backbone folder, or none. */
export function benchBackbones(prosDir: string | null): BenchBackbone[] {
  const rows: BenchBackbone[] = [
    {
      label: 'random init (ViT tiny, patch tokens)',
      load: async () => randomVitBackbone(),
      pointsTap: null,
      mapTap: 'tokens',
    },
  ];
  if (prosDir) {
    rows.push({
      label: `own ProS ViT (${prosDir})`,
      load: () => loadVitBackbone('pros', 'ProS ViT', prosDir),
      pointsTap: null,
      mapTap: 'tokens',
    });
  }
  rows.push({
    label: 'FaceMesh (MediaPipe, Apache-2.0): mesh + p_re_lu_15',
    load: () => loadFaceMesh(),
    pointsTap: 'mesh',
    mapTap: 'p_re_lu_15',
  });
  // Appearance backbone: its row goes here (branch `appearance`).
  return rows;
}
