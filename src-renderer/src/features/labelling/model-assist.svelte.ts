/**
 * Model-assisted labelling: a landmarks model pre-labels the face shown (merged into it, one undo
 * step: the points a person placed stay) or every unlabelled image (a background job on the main
 * side); W walks the unconfirmed points from the most uncertain down, across every face. A model
 * whose card says it is no better than its baseline asks first (`caution`), naming the figures.
 *
 * The uncertainty index is read from disk on the first W, then follows the face on screen as it
 * is edited; a pre-label job makes it stale (read again on the next W).
 */
import { SvelteSet } from 'svelte/reactivity';
import type { EventPayload } from '$shared/ipc-contract';
import type { LibraryItem } from '$shared/library';
import { prelabelCaution } from '$shared/model-quality';
import type { ModelInfo } from '$shared/training';
import { invoke } from '../../lib/api';
import type { ListImages } from './image-navigation';
import type { CanvasModel } from './model/canvas-model';
import type { Points } from './model/face-record';
import { DoubtIndex, landmarkModels, scanDoubts, type GetFace } from './prelabel';

/** A pre-label job over every unlabelled image, as `labels:prelabelProgress` reports it. */
export interface PrelabelJob {
  /** Null until `labels:prelabel` has answered. */
  jobId: string | null;
  done: number;
  total: number;
  finished: boolean;
  error: string | null;
}

/** A question waiting before pre-labelling with a model no better than its baseline. */
export interface PrelabelCaution {
  modelId: string;
  /** Names the model's figure and its baseline's. */
  text: string;
  /** What pre-labelling goes on to do once the person accepts. */
  target: 'current' | 'all';
}

/** What the assistant needs of the labeller around it. */
export interface AssistHooks {
  /** The canvas, once the labeller has started. */
  model(): CanvasModel | null;
  /** The image shown and its library position. */
  shown(): { image: LibraryItem; position: number } | null;
  list: ListImages;
  getFace: GetFace;
  /** Saves the face shown now (the uncertainty scan reads faces from disk). */
  save(): Promise<void>;
  /** Shows the image at a library position (saving first). */
  goTo(position: number): Promise<void>;
  /** Makes point `i` the active one. */
  activate(i: number): void;
  /** Makes point `i` the active one, not hovered, and pans it into view. */
  focus(i: number): void;
  /** The face shown may have just been pre-labelled: show it again unless it was edited. */
  reloadIfUntouched(): Promise<void>;
  notify(text: string | null): void;
  fail(text: string): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ModelAssist {
  /** Landmark models that fit this schema, and the one chosen to pre-label with. */
  models = $state.raw<ModelInfo[]>([]);
  modelId = $state<string | null>(null);
  /** The face shown is being predicted. */
  prelabelling = $state(false);
  job = $state<PrelabelJob | null>(null);
  /** A search for the most uncertain point is reading the faces. */
  seekingDoubt = $state(false);
  /** Asked before pre-labelling with a model no better than its baseline; null when none. */
  caution = $state<PrelabelCaution | null>(null);

  readonly #hooks: AssistHooks;
  readonly #doubts = new DoubtIndex();
  /** False until the faces were scanned, and again after a pre-label job changed them. */
  #doubtsFresh = false;
  /** Models no better than their baseline that the person chose to pre-label with anyway. */
  readonly #accepted = new SvelteSet<string>();

  constructor(hooks: AssistHooks) {
    this.#hooks = hooks;
  }

  /** Lists the landmark models whose output is this schema's points (newest first). */
  async loadModels(schema: { id: string; pointCount: number }): Promise<void> {
    try {
      const models = landmarkModels(await invoke('models:list', {}), schema);
      this.models = models;
      if (!models.some((m) => m.id === this.modelId)) this.modelId = models[0]?.id ?? null;
    } catch {
      // No model shelf (e.g. no project models yet): pre-labelling stays unavailable.
      this.models = [];
    }
  }

  /** The face shown changed (edited or loaded): keep the uncertainty index up to date. */
  track(imageId: string, position: number, points: Points): void {
    if (this.#doubtsFresh) this.#doubts.set(imageId, position, points);
  }

  /**
   * Whether pre-labelling with `modelId` may go ahead: a model no better than its baseline asks
   * first (the answer holds for the rest of the session), the others go ahead.
   */
  #mayPrelabel(modelId: string, target: PrelabelCaution['target']): boolean {
    if (this.#accepted.has(modelId)) return true;
    const card = this.models.find((m) => m.id === modelId)?.card;
    const text = card ? prelabelCaution(card) : null;
    if (text === null) return true;
    this.caution = { modelId, text, target };
    return false;
  }

  /** The person accepts the caution: pre-label as asked with that model. */
  async proceed(): Promise<void> {
    const caution = this.caution;
    if (!caution) return;
    this.#accepted.add(caution.modelId);
    this.caution = null;
    if (caution.modelId !== this.modelId) return;
    await (caution.target === 'current' ? this.prelabelCurrent() : this.prelabelAll());
  }

  /** The person declines: nothing is pre-labelled. */
  keepOff(): void {
    this.caution = null;
  }

  /** The request's acceptance of a no-better model, when the person gave it. */
  #acceptance(modelId: string): { acceptNoBetter?: true } {
    return this.#accepted.has(modelId) ? { acceptNoBetter: true } : {};
  }

  /** Predicts the face shown with the chosen model and merges it in (nothing is saved yet). */
  async prelabelCurrent(): Promise<void> {
    const model = this.#hooks.model();
    const imageId = model?.face?.imageId;
    const modelId = this.modelId;
    if (!model || !imageId || !modelId) return;
    if (!this.#mayPrelabel(modelId, 'current')) return;
    this.prelabelling = true;
    this.#hooks.notify(null);
    try {
      const answer = await invoke('labels:prelabel', {
        modelId,
        target: { imageId },
        ...this.#acceptance(modelId),
      });
      if (model.face?.imageId !== imageId) return;
      if (!answer.face) {
        this.#hooks.notify('The model returned no face for this image');
        return;
      }
      if (model.mode === 'drag' || model.mode === 'pan') {
        this.#hooks.notify('Finish the drag, then pre-label again');
        return;
      }
      const kept = model.points.filter((p) => p.v !== 0 && p.confirmed).length;
      const set = model.applyPrediction(answer.face.points);
      this.#hooks.notify(
        set === 0
          ? 'Nothing to pre-label: every point is placed'
          : `Pre-labelled ${set} points${kept ? `; kept the ${kept} you placed` : ''}. C confirms, W finds the most uncertain`,
      );
      const worst = model.mostUncertain;
      if (worst) this.#hooks.activate(worst.index);
    } catch (error) {
      this.#hooks.fail(message(error));
    } finally {
      this.prelabelling = false;
    }
  }

  /** Pre-labels every image without a face annotation in the background. */
  async prelabelAll(): Promise<void> {
    const modelId = this.modelId;
    if (!modelId) return;
    if (this.job && !this.job.finished) return;
    if (!this.#mayPrelabel(modelId, 'all')) return;
    this.job = { jobId: null, done: 0, total: 0, finished: false, error: null };
    try {
      const answer = await invoke('labels:prelabel', {
        modelId,
        target: 'unlabelled',
        ...this.#acceptance(modelId),
      });
      if (this.job) this.job.jobId = answer.jobId;
      // Nothing to do (no unlabelled image) comes back without a job.
      if (answer.jobId === null && this.job) this.job.finished = true;
    } catch (error) {
      if (this.job) {
        this.job.error = message(error);
        this.job.finished = true;
      }
    }
  }

  dismissJob(): void {
    if (this.job?.finished) this.job = null;
  }

  /** A `labels:prelabelProgress` event. */
  progress(progress: EventPayload<'labels:prelabelProgress'>): void {
    const job = this.job;
    if (!job || (job.jobId !== null && job.jobId !== progress.jobId)) return;
    job.jobId = progress.jobId;
    job.done = progress.done;
    job.total = progress.total;
    job.finished = progress.finished;
    job.error = progress.error ?? null;
    // New predictions on disk: the doubt index no longer knows every face.
    this.#doubtsFresh = false;
    if (progress.finished) void this.#hooks.reloadIfUntouched();
  }

  /**
   * Shows the unconfirmed point with the highest uncertainty across every face: on this face, or
   * on the face that holds it. The first ask reads every labelled face; later ones use the index.
   */
  async nextUncertain(): Promise<void> {
    const model = this.#hooks.model();
    if (!model?.face || this.seekingDoubt) return;
    this.seekingDoubt = true;
    try {
      if (!this.#doubtsFresh) {
        // The scan reads the faces on disk: save this one first, then trust its live state.
        await this.#hooks.save();
        this.#hooks.notify('Looking for the most uncertain point…');
        await scanDoubts(this.#hooks.list, this.#hooks.getFace, this.#doubts);
        this.#doubtsFresh = true;
      }
      const shown = this.#hooks.shown();
      if (shown) this.#doubts.set(shown.image.id, shown.position, model.points);
      const best = this.#doubts.best();
      if (!best) {
        this.#hooks.notify('No unconfirmed point left to check');
        return;
      }
      if (best.imageId !== shown?.image.id) {
        await this.#hooks.goTo(best.position);
        if (this.#hooks.shown()?.image.id !== best.imageId) {
          // The library changed under the index: scan again on the next ask.
          this.#doubtsFresh = false;
          this.#hooks.notify('The library changed: press W again');
          return;
        }
      }
      const worst = model.mostUncertain;
      if (!worst) return;
      this.#hooks.focus(worst.index);
      const name = model.schema.points[worst.index]?.name ?? `point ${worst.index}`;
      this.#hooks.notify(
        `Most uncertain: ${worst.index} · ${name} (${(worst.uncertainty * 100).toFixed(1)}% of the face)`,
      );
    } catch (error) {
      this.#hooks.fail(message(error));
    } finally {
      this.seekingDoubt = false;
    }
  }
}
