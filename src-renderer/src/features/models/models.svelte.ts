/**
 * The Models section's state (a class of `$state` fields): the shelf from `models:list`, the
 * selected model's card, export to a folder as TF.js or ONNX (its error kept apart, shown beside the export field)
 * and delete with a confirmation. Only the actions talk to `api.ts`.
 */
import type { ModelExportFormat, ModelInfo } from '$shared/training';
import { attempt, invoke, mode, on } from '../../lib/api';
import { exportFolder, sortModels } from './model-shelf';

class ModelsState {
  /** A native folder picker exists only in the desktop app. */
  readonly canPickFolder = mode === 'electron';
  models = $state.raw<ModelInfo[]>([]);
  selectedId = $state<string | null>(null);
  exportDir = $state('');
  exporting = $state(false);
  exported = $state<{
    modelId: string;
    format: ModelExportFormat;
    dir: string;
    files: number;
  } | null>(null);
  /** Why the last export did not happen; shown beside the export field, not atop the page. */
  exportError = $state<string | null>(null);
  /** The model a delete waits on a second click for. */
  confirmingDelete = $state<string | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);

  get selected(): ModelInfo | null {
    return this.models.find((m) => m.id === this.selectedId) ?? null;
  }

  start(): () => void {
    // A run that finishes exports a model: the shelf shows it without a reload.
    const stop = on('training:event', ({ event }) => {
      if (event.type === 'done') void this.refresh();
    });
    void this.refresh();
    return stop;
  }

  async refresh(): Promise<void> {
    this.loading = true;
    await this.#guard(async () => {
      this.models = sortModels(await invoke('models:list', {}));
      if (!this.selected) this.selectedId = this.models[0]?.id ?? null;
    });
    this.loading = false;
  }

  select(id: string): void {
    this.selectedId = id;
    this.confirmingDelete = null;
    this.exported = null;
    this.exportError = null;
  }

  async pickFolder(): Promise<void> {
    await attempt(
      async () => {
        const answer = await invoke('dialog:pickFolder', { title: 'Export the model into…' });
        if (answer.dir) this.exportDir = answer.dir;
      },
      (message) => (this.exportError = message),
    );
  }

  /** Exports the selected model: its TF.js folder, or (`onnx`) model.onnx with its card. */
  async exportSelected(format: ModelExportFormat = 'tfjs'): Promise<void> {
    const model = this.selected;
    const outDir = exportFolder(this.exportDir);
    if (!model) return;
    if (!outDir) {
      this.exportError = 'Give the folder to export into.';
      return;
    }
    this.exporting = true;
    this.exported = null;
    await attempt(
      async () => {
        const answer = await invoke('models:export', {
          modelId: model.id,
          outDir,
          ...(format === 'onnx' ? { format } : {}),
        });
        this.exported = { modelId: model.id, format, ...answer };
      },
      (message) => (this.exportError = message),
    );
    this.exporting = false;
  }

  askDelete(id: string): void {
    this.confirmingDelete = id;
  }

  keep(): void {
    this.confirmingDelete = null;
  }

  async confirmDelete(): Promise<void> {
    const id = this.confirmingDelete;
    if (!id) return;
    await this.#guard(async () => {
      await invoke('models:delete', { modelId: id });
      this.confirmingDelete = null;
      if (this.selectedId === id) this.selectedId = null;
      await this.refresh();
    });
  }

  #guard(action: () => Promise<void>): Promise<boolean> {
    return attempt(action, (message) => (this.error = message));
  }
}

export const models = new ModelsState();
