/**
 * The Train section's state (a class of `$state` fields): the pickers and the Advanced form, the
 * data summary, the run history and the dashboard of the selected run. The reducers and helpers it
 * calls are pure (./run-view.ts, ./config-form.ts, ./train-options.ts); only this class talks to
 * `api.ts`.
 *
 * Reattach: opening the view lists the runs and shows a running or paused one (else the
 * newest) from `training:run`, then follows `training:event`; so a reload, or coming back to the
 * section, picks a run up where it is. Events that arrive while its detail loads are kept and
 * applied after it (the series drop repeats).
 */
import type { LibraryStats } from '$shared/library';
import { modelQuality, type ModelQuality } from '$shared/model-quality';
import type { ConfigField, ModelInfo, RunInfo, TrainingEventPayload } from '$shared/training';
import { describeError, invoke, on } from '../../lib/api';
import {
  changedConfig,
  initialValues,
  PRESET_KEY,
  valueAt,
  visibleFields,
  type ChangedConfig,
  type ConfigObject,
  type FormValue,
} from './config-form';
import {
  applyEvent,
  applyEventToInfo,
  isEnded,
  isLive,
  runToReattach,
  runViewOf,
  runViewOfInfo,
  upsertRun,
  withListedChanges,
  type RunView,
  type TrainingEvent,
} from './run-view';
import {
  backboneModels,
  dataSummary,
  isPreset,
  startRequest,
  taskChoice,
  type DataSummary,
  type LabelledCounts,
  type PresetId,
  type TaskChoice,
} from './train-options';

/** Events kept per run not yet in the history list (it is being started, or was elsewhere). */
const ORPHAN_LIMIT = 500;

class TrainState {
  choiceId = $state<TaskChoice['id']>('finetune-landmarks');
  backboneId = $state<string | null>(null);
  preset = $state<PresetId>('tiny');
  models = $state.raw<ModelInfo[]>([]);
  stats = $state.raw<LibraryStats | null>(null);
  labelled = $state.raw<LabelledCounts | null>(null);
  /** Faces per split with points no person confirmed yet. */
  review = $state.raw<LabelledCounts | null>(null);

  fields = $state.raw<ConfigField[]>([]);
  defaults = $state.raw<ConfigObject>({});
  values = $state<Record<string, FormValue>>({});
  showAdvanced = $state(false);

  runs = $state.raw<RunInfo[]>([]);
  view = $state.raw<RunView | null>(null);
  showConfig = $state(false);

  loading = $state(true);
  starting = $state(false);
  /** A control (pause, resume, cancel) waiting for its answer. */
  acting = $state(false);
  /** The run whose Cancel waits for the person to confirm it, or null. */
  confirmingCancel = $state<string | null>(null);
  error = $state<string | null>(null);

  #selectedId: string | null = null;
  /** Events for the selected run that arrived while its detail was loading. */
  #pending: TrainingEvent[] | null = null;
  #orphans = new Map<string, TrainingEvent[]>();
  #schemaGeneration = 0;
  #requestedRun: string | null = null;
  #unsubscribe: (() => void) | null = null;

  get choice(): TaskChoice {
    return taskChoice(this.choiceId);
  }

  get backbones(): ModelInfo[] {
    return backboneModels(this.models);
  }

  /** How good the shown run's model is beside its baseline (its card on the shelf), or null. */
  get runQuality(): ModelQuality | null {
    const id = this.view?.run.modelId;
    const model = id ? this.models.find((m) => m.id === id) : undefined;
    return model ? modelQuality(model.card) : null;
  }

  get formFields(): ConfigField[] {
    return visibleFields(this.fields);
  }

  get defaultPreset(): PresetId {
    const fromDefaults = valueAt(this.defaults, PRESET_KEY);
    const field = this.fields.find((f) => f.key === PRESET_KEY);
    const value = fromDefaults ?? field?.default;
    return isPreset(value) ? value : 'tiny';
  }

  get data(): DataSummary {
    return dataSummary(
      this.choice,
      this.stats,
      this.labelled,
      this.review,
      valueAt(this.values, 'includeUnconfirmed') === true,
    );
  }

  get advanced(): ChangedConfig {
    return changedConfig(this.formFields, this.values, this.defaults);
  }

  /** Loads everything and follows training events; returns the function that stops that. */
  start(): () => void {
    this.#unsubscribe?.();
    this.#unsubscribe = on('training:event', (payload) => this.#onEvent(payload));
    void this.#load();
    return () => {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
    };
  }

  /** Shows a run when the Train view opens next (the Models view's link to a model's run). */
  requestRun(runId: string): void {
    this.#requestedRun = runId;
  }

  /**
   * Shows a run: now, when the view is open (it follows events), else as it opens — the shell's
   * running-jobs indicator leads here from any section, and the view reattaches through `#load`.
   */
  show(runId: string): void {
    if (this.#unsubscribe && !this.loading) void this.select(runId);
    else this.requestRun(runId);
  }

  async choose(id: TaskChoice['id']): Promise<void> {
    this.choiceId = id;
    await this.#loadSchema();
  }

  chooseBackbone(id: string | null): void {
    this.backboneId = id;
    const model = this.models.find((m) => m.id === id);
    const preset = model?.card.backbone.preset;
    this.preset = isPreset(preset) ? preset : this.defaultPreset;
  }

  choosePreset(preset: PresetId): void {
    if (this.backboneId === null || this.choice.kind === 'pretrain') this.preset = preset;
  }

  setValue(key: string, value: FormValue): void {
    this.values[key] = value;
  }

  resetAdvanced(): void {
    this.values = initialValues(this.formFields, this.defaults);
  }

  /** Starts a run with the pickers' choices; `fromAdvanced` adds the form's changed keys. */
  async startRun(fromAdvanced = false): Promise<void> {
    const advanced = fromAdvanced ? this.advanced : null;
    if (advanced && Object.keys(advanced.errors).length > 0) {
      this.error = 'Fix the highlighted settings first.';
      return;
    }
    const request = startRequest(this.choice, {
      backboneId: this.choice.kind === 'finetune' ? this.backboneId : null,
      preset: this.preset,
      defaultPreset: this.defaultPreset,
      ...(advanced ? { advanced: advanced.config } : {}),
    });
    this.starting = true;
    this.error = null;
    try {
      const run = await invoke('training:start', request);
      // The dashboard takes the form's place: the run is what to watch now.
      this.showAdvanced = false;
      this.runs = upsertRun(this.runs, run);
      void this.#refreshChanges();
      await this.select(run.id);
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.starting = false;
    }
  }

  /** A new run's config changes come only with the list: take them from a fresh one. */
  async #refreshChanges(): Promise<void> {
    try {
      const listed = await invoke('training:runs', {});
      this.runs = withListedChanges(this.runs, listed);
    } catch {
      // The list shows the run's tag meanwhile; its changes come on the next view open.
    }
  }

  async pause(): Promise<void> {
    await this.#control('training:pause');
  }

  async resume(): Promise<void> {
    await this.#control('training:resume');
  }

  /** Cancel asks first (the run's progress since its last checkpoint is lost). */
  askCancel(): void {
    this.confirmingCancel = this.#selectedId;
  }

  keepRunning(): void {
    this.confirmingCancel = null;
  }

  /** Cancels the run the question was about, once the person has said so. */
  async cancel(): Promise<void> {
    const runId = this.confirmingCancel;
    this.confirmingCancel = null;
    if (runId === null || runId !== this.#selectedId) return;
    await this.#control('training:cancel');
  }

  /** Shows a run: its history-list record at once, its logged steps once they load. */
  async select(runId: string): Promise<void> {
    this.#selectedId = runId;
    if (this.confirmingCancel !== runId) this.confirmingCancel = null;
    const known = this.runs.find((r) => r.id === runId);
    this.view = known ? runViewOfInfo(known) : null;
    this.showConfig = false;
    this.#pending = [...(this.#orphans.get(runId) ?? [])];
    this.#orphans.delete(runId);
    try {
      const detail = await invoke('training:run', { runId });
      if (this.#selectedId !== runId) return;
      let view = runViewOf(detail);
      for (const event of this.#pending ?? []) view = applyEvent(view, event);
      this.view = view;
      this.runs = upsertRun(this.runs, view.run);
    } catch (error) {
      if (this.#selectedId === runId) this.error = describeError(error);
    } finally {
      if (this.#selectedId === runId) this.#pending = null;
    }
  }

  async #control(channel: 'training:pause' | 'training:resume' | 'training:cancel') {
    const runId = this.#selectedId;
    if (!runId) return;
    this.acting = true;
    this.error = null;
    try {
      const run = await invoke(channel, { runId });
      // A live run's events are the truth: the answer was read before the training process
      // acted, and may arrive after its `paused` or `resumed`. Only a run that had ended (resumed
      // from a checkpoint) takes the answer, which says it is queued again.
      const listed = this.runs.find((r) => r.id === run.id);
      if (!listed || !isLive(listed)) this.runs = upsertRun(this.runs, run);
      if (this.view && this.view.run.id === run.id && !isLive(this.view.run)) {
        this.view = { ...this.view, run };
      }
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.acting = false;
    }
  }

  async #load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      await Promise.all([this.#loadModels(), this.#loadData(), this.#loadSchema()]);
      this.runs = await invoke('training:runs', {});
      const requested = this.#requestedRun;
      this.#requestedRun = null;
      const keep = this.runs.find((r) => r.id === (requested ?? this.#selectedId));
      const target = keep ?? runToReattach(this.runs);
      if (target) await this.select(target.id);
      else this.view = null;
    } catch (error) {
      this.error = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  async #loadModels(): Promise<void> {
    this.models = await invoke('models:list', {});
    if (this.backboneId !== null && !this.models.some((m) => m.id === this.backboneId)) {
      this.chooseBackbone(null);
    }
  }

  /**
   * Image counts per split, and per split the labelled faces and those that need review (one
   * filtered count each).
   */
  async #loadData(): Promise<void> {
    type Split = 'pool' | 'train' | 'val' | 'test';
    const count = async (split: Split, state: 'labelled' | 'needsReview') =>
      (await invoke('library:list', { offset: 0, limit: 1, filter: { split, [state]: true } }))
        .total;
    const splits: Split[] = ['pool', 'train', 'val', 'test'];
    const counts = async (state: 'labelled' | 'needsReview'): Promise<LabelledCounts> => {
      const [pool, train, val, test] = await Promise.all(splits.map((s) => count(s, state)));
      return { pool: pool!, train: train!, val: val!, test: test! };
    };
    const [stats, labelled, review] = await Promise.all([
      invoke('library:stats', {}),
      counts('labelled'),
      counts('needsReview'),
    ]);
    this.stats = stats;
    this.labelled = labelled;
    this.review = review;
  }

  async #loadSchema(): Promise<void> {
    const generation = ++this.#schemaGeneration;
    const choice = this.choice;
    try {
      const schema = await invoke('training:configSchema', {
        kind: choice.kind,
        ...(choice.task ? { task: choice.task } : {}),
      });
      if (generation !== this.#schemaGeneration) return;
      this.fields = schema.fields;
      this.defaults = schema.defaults;
      this.values = initialValues(visibleFields(schema.fields), schema.defaults);
      if (this.backboneId === null || choice.kind === 'pretrain') this.preset = this.defaultPreset;
    } catch (error) {
      if (generation === this.#schemaGeneration) this.error = describeError(error);
    }
  }

  #onEvent({ runId, event }: TrainingEventPayload): void {
    const known = this.runs.find((r) => r.id === runId);
    if (known) this.runs = upsertRun(this.runs, applyEventToInfo(known, event));
    else if (isEnded(event)) this.runs = upsertRun(this.runs, event.run);
    else this.#keepOrphan(runId, event);

    if (runId === this.#selectedId) {
      if (this.#pending) this.#pending.push(event);
      else if (this.view) this.view = applyEvent(this.view, event);
    } else if (!known && event.type === 'started' && !(this.view && isLive(this.view.run))) {
      // A run started elsewhere (another window): show it when nothing live is shown.
      void this.#adopt(runId);
    }
    if (isEnded(event)) void this.#afterEnd(runId);
  }

  #keepOrphan(runId: string, event: TrainingEvent): void {
    const list = this.#orphans.get(runId) ?? [];
    if (list.length < ORPHAN_LIMIT) list.push(event);
    this.#orphans.set(runId, list);
  }

  async #adopt(runId: string): Promise<void> {
    try {
      this.runs = await invoke('training:runs', {});
      if (this.runs.some((r) => r.id === runId)) await this.select(runId);
    } catch {
      // The history list refreshes on the next view open.
    }
  }

  /** A run ended: its final metrics and CED come with its detail, its model with the shelf. */
  async #afterEnd(runId: string): Promise<void> {
    try {
      await this.#loadModels();
      if (runId !== this.#selectedId) return;
      const detail = await invoke('training:run', { runId });
      // Resumed meanwhile: the live events know better than this answer.
      if (runId !== this.#selectedId || (this.view && isLive(this.view.run))) return;
      this.view = runViewOf(detail);
      this.runs = upsertRun(this.runs, detail.run);
    } catch (error) {
      this.error = describeError(error);
    }
  }
}

export const train = new TrainState();
