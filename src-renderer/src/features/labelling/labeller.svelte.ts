/**
 * The labeller's state (STYLE 9): a class of `$state` fields over one `CanvasModel`. The model
 * decides what a pointer or key means and holds points, view and undo history; this class mirrors
 * what the views read into runes on each change reason, loads and saves faces through `api.ts`,
 * and steps through the library. Components render these fields and forward events here.
 *
 * Model-assisted labelling: a landmarks model pre-labels the face shown (merged into it, one undo
 * step: the points a person placed stay) or every unlabelled image (a background job on the main
 * side); unconfirmed points (a model's or template's) are confirmed with C, and W walks them from
 * the most uncertain down.
 *
 * Other windows: each save names the revision of the face it edited (see face-revision.ts). When
 * the face shown is saved elsewhere (`labels:changed`), it is reloaded; if this window had unsaved
 * edits, or its save is refused as stale, those edits are dropped and `conflict` says so.
 */
import type { EventPayload, ResponseOf } from '$shared/ipc-contract';
import type { LibraryItem } from '$shared/library';
import type { ModelInfo } from '$shared/training';
import { faceState } from '$shared/point-provenance';
import { invoke, mediaUrl, on, StudioRequestError } from '../../lib/api';
import {
  binaryAttributeNames,
  chooseExpression,
  detailsOf,
  NO_DETAILS,
  pointColours,
  templateBox,
  toAnnotation,
  toggleAttribute,
  type FaceDetails,
} from './face-draft';
import { CONFLICT_MESSAGE, reactToChanges, type FaceChanges } from './face-revision';
import { imageAt, nextUnlabelled, type ImageAt, type ListImages } from './image-navigation';
import { commandFor, type KeyPress, type LabellerCommand } from './keymap';
import { CanvasModel, type ChangeReason } from './model/canvas-model';
import { canvasSchemaOf, type CanvasSchema } from './model/canvas-schema';
import { unconfirmedCount, type Points } from './model/face-record';
import { DoubtIndex, landmarkModels, scanDoubts, type GetFace } from './prelabel';
import type { Mode, ToolMode } from './model/modes';
import { IDENTITY, type Point, type Size, type ViewTransform } from './model/transform';

export type LabellingSchemas = ResponseOf<'schema:get'>;
export type SaveState = 'saved' | 'unsaved' | 'saving' | 'failed';

/** Quiet time after the last edit before it is saved; the store debounces its disk write too. */
export const AUTOSAVE_MS = 400;
/** A pointer within this many screen pixels of a marker is on it. */
export const HIT_RADIUS_PX = 8;
/** A press that moves less than this is a click, not a drag (hands shake). */
export const DRAG_THRESHOLD_PX = 3;
/** Wheel zoom: e^(−deltaY · this); one 100 px notch is ×1.16. */
export const WHEEL_ZOOM_PER_PX = 0.0015;

interface Press {
  at: Point;
  target: number | 'selection' | null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const listImages: ListImages = (request) => invoke('library:list', request);
const getFace: GetFace = (imageId) => invoke('labels:get', { imageId });

/** A pre-label job over every unlabelled image, as `labels:prelabelProgress` reports it. */
export interface PrelabelJob {
  /** Null until `labels:prelabel` has answered. */
  jobId: string | null;
  done: number;
  total: number;
  finished: boolean;
  error: string | null;
}

export class Labeller {
  schemas = $state.raw<LabellingSchemas | null>(null);
  canvasSchema = $state.raw<CanvasSchema | null>(null);
  colours = $state.raw<string[]>([]);
  attributeNames = $state.raw<string[]>([]);

  image = $state.raw<LibraryItem | null>(null);
  imageUrl = $state<string | null>(null);
  position = $state(0);
  total = $state(0);

  points = $state.raw<Points>([]);
  transform = $state.raw<ViewTransform>(IDENTITY);
  mode = $state<Mode>('idle');
  tool = $state<ToolMode>('idle');
  selection = $state.raw<readonly number[]>([]);
  selectedGroup = $state<string | null>(null);
  nextToPlace = $state<number | null>(null);
  canUndo = $state(false);
  canRedo = $state(false);
  undoLabel = $state<string | null>(null);
  redoLabel = $state<string | null>(null);

  details = $state.raw<FaceDetails>(NO_DETAILS);
  saveState = $state<SaveState>('saved');
  saveError = $state<string | null>(null);
  /** Set when this window's edits were dropped because the face was saved elsewhere. */
  conflict = $state<string | null>(null);

  /** The point under the pointer; `o`, `x` and `g` act on it, else on `active`. */
  hovered = $state<number | null>(null);
  /** The point last placed, dragged or clicked. */
  active = $state<number | null>(null);
  showHelp = $state(false);
  spaceHeld = $state(false);
  loading = $state(true);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Landmark models that fit this schema, and the one chosen to pre-label with. */
  prelabelModels = $state.raw<ModelInfo[]>([]);
  prelabelModelId = $state<string | null>(null);
  /** The face shown is being predicted. */
  prelabelling = $state(false);
  prelabelJob = $state<PrelabelJob | null>(null);
  /** A search for the most uncertain point is reading the faces. */
  seekingDoubt = $state(false);

  #model: CanvasModel | null = null;
  #doubts = new DoubtIndex();
  /** False until the faces were scanned, and again after a pre-label job changed them. */
  #doubtsFresh = false;
  #stopEvents: (() => void) | null = null;
  #viewport: Size = { width: 800, height: 600 };
  /** Until the person zooms or pans, a resize refits the face. */
  #autoFit = true;
  #detailsVersion = 0;
  #detailsSaved = 0;
  /** The revision of the face shown, as read or as this window's last save made it; null: none. */
  #revision: number | null = null;
  /** Faces saved elsewhere during a drag or pan (no face loads mid-gesture): judged at its end. */
  #changesDuringGesture: FaceChanges | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #saving: Promise<void> | null = null;
  #pointer: Point | null = null;
  #press: Press | null = null;
  #unsubscribe: (() => void) | null = null;

  get model(): CanvasModel | null {
    return this.#model;
  }

  get labelledCount(): number {
    return this.points.filter((p) => p.v !== 0).length;
  }

  /** Points a model (or template) placed that nobody has confirmed yet. */
  /** Points of the face shown that a model or template placed and no person confirmed yet. */
  get unconfirmedCount(): number {
    return unconfirmedCount(this.points);
  }

  /** Loads the project's schemas and shows the first unlabelled image (else the first). */
  async start(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const schemas = await invoke('schema:get', {});
      const canvasSchema = canvasSchemaOf(schemas.landmarks);
      this.schemas = schemas;
      this.canvasSchema = canvasSchema;
      this.colours = pointColours(schemas.landmarks);
      this.attributeNames = binaryAttributeNames(schemas.attributes);
      this.#model = new CanvasModel(canvasSchema, { viewport: this.#viewport });
      this.#unsubscribe = this.#model.on((reason) => this.#sync(reason));
      const stopPrelabel = on('labels:prelabelProgress', (progress) => this.#onPrelabel(progress));
      const stopChanges = on('labels:changed', (change) => void this.#onFacesChanged(change.faces));
      this.#stopEvents = () => {
        stopPrelabel();
        stopChanges();
      };
      void this.#loadPrelabelModels(schemas.landmarks.id, schemas.landmarks.points.length);
      const first = (await nextUnlabelled(listImages, -1)) ?? (await imageAt(listImages, 0));
      if (first) await this.#show(first);
    } catch (error) {
      this.error = message(error);
    } finally {
      this.loading = false;
    }
  }

  /** Saves what is pending and lets go of the model; the view calls it when it goes away. */
  async stop(): Promise<void> {
    await this.save();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#stopEvents?.();
    this.#stopEvents = null;
  }

  // ── navigation ──────────────────────────────────────────────────────────────────────────

  async next(): Promise<void> {
    await this.#goTo(() => imageAt(listImages, this.position + 1), 'This is the last image');
  }

  async previous(): Promise<void> {
    await this.#goTo(() => imageAt(listImages, this.position - 1), 'This is the first image');
  }

  async nextUnlabelled(): Promise<void> {
    await this.#goTo(() => nextUnlabelled(listImages, this.position), 'Every image is labelled');
  }

  async #goTo(find: () => Promise<ImageAt | null>, none: string): Promise<void> {
    this.conflict = null;
    // Nothing saved is lost: an image whose save failed stays on screen until it saves, and one
    // reloaded after a conflict stays so the person sees what is stored now.
    await this.save();
    if (this.saveError || this.conflict) return;
    try {
      const target = await find();
      if (target) await this.#show(target);
      else this.notice = none;
    } catch (error) {
      this.error = message(error);
    }
  }

  async #show(target: ImageAt): Promise<void> {
    const model = this.#requireModel();
    const { item } = target;
    const face = await invoke('labels:get', { imageId: item.id });
    model.load({
      imageId: item.id,
      imageSize: { width: item.width, height: item.height },
      points: face?.points ?? null,
      box: face?.box ?? item.face?.box,
    });
    this.#revision = face?.revision ?? null;
    this.#changesDuringGesture = null;
    this.image = item;
    this.imageUrl = mediaUrl('image', item.id);
    this.position = target.position;
    this.total = target.total;
    this.details = detailsOf(face);
    this.#detailsVersion = 0;
    this.#detailsSaved = 0;
    this.hovered = null;
    this.active = null;
    this.notice = null;
    this.error = null;
    this.#autoFit = true;
    this.#fit();
    this.#refreshSaveState();
    if (this.#doubtsFresh) this.#doubts.set(item.id, target.position, model.points);
  }

  // ── saving ──────────────────────────────────────────────────────────────────────────────

  get dirty(): boolean {
    return (this.#model?.dirty ?? false) || this.#detailsVersion !== this.#detailsSaved;
  }

  /** Saves the face now if it changed; resolves once it is durable (or failed: see saveError). */
  async save(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#saving) await this.#saving;
    const model = this.#model;
    const face = model?.face;
    if (!model || !face || !this.dirty) return;
    const version = model.version;
    const detailsVersion = this.#detailsVersion;
    const annotation = toAnnotation(face, this.details);
    let stale = false;
    this.#saving = (async () => {
      try {
        const saved = await invoke('labels:save', {
          face: annotation,
          baseRevision: this.#revision,
        });
        // The next save edits this revision (a save waits for the one before it).
        if (model.face?.imageId === face.imageId) this.#revision = saved.revision;
        model.markSaved(version, face.imageId);
        this.#detailsSaved = detailsVersion;
        this.saveError = null;
        this.conflict = null;
        if (this.image?.id === face.imageId) {
          const state = faceState(annotation);
          this.image = {
            ...this.image,
            labelled: state === 'labelled',
            needsReview: state === 'needs-review',
          };
        }
      } catch (error) {
        if (error instanceof StudioRequestError && error.code === 'conflict') stale = true;
        else this.saveError = `Not saved: ${message(error)}`;
      } finally {
        this.#saving = null;
      }
    })();
    this.#refreshSaveState();
    await this.#saving;
    if (stale) {
      // Saved elsewhere since this window read it: show what is stored, and say the edit is gone.
      await this.#reloadShown(true);
      return;
    }
    this.#refreshSaveState();
    // Edits made while the save was in flight get their own save.
    if (this.dirty && !this.saveError) this.#scheduleSave();
  }

  /** The face shown was saved elsewhere: reload it when this window does not hold that revision. */
  async #onFacesChanged(changes: FaceChanges): Promise<void> {
    const shownId = this.image?.id;
    if (!shownId || !changes.some((c) => c.imageId === shownId)) return;
    // This window's own save is reported as it answers, maybe first: judge after the answer.
    if (this.#saving) await this.#saving;
    const image = this.image;
    if (!image || image.id !== shownId) return;
    const mode = this.#model?.mode;
    if (mode === 'drag' || mode === 'pan') {
      this.#changesDuringGesture = [...(this.#changesDuringGesture ?? []), ...changes];
      return;
    }
    const reaction = reactToChanges(
      { imageId: image.id, revision: this.#revision, dirty: this.dirty },
      changes,
    );
    if (reaction !== 'ignore') await this.#reloadShown(reaction === 'conflict');
  }

  /** Shows the stored face of the image on screen again, dropping unsaved edits. */
  async #reloadShown(conflict: boolean): Promise<void> {
    const image = this.image;
    if (!image) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      await this.#show({ position: this.position, item: image, total: this.total });
      if (conflict) this.conflict = CONFLICT_MESSAGE;
    } catch (error) {
      this.error = message(error);
    }
  }

  #scheduleSave(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.save();
    }, AUTOSAVE_MS);
  }

  #refreshSaveState(): void {
    if (this.#saving) this.saveState = 'saving';
    else if (this.saveError) this.saveState = 'failed';
    else this.saveState = this.dirty ? 'unsaved' : 'saved';
  }

  // ── attributes, expression, note ────────────────────────────────────────────────────────

  toggleAttribute(name: string): void {
    this.#setDetails(toggleAttribute(this.details, name));
  }

  chooseExpression(expression: string): void {
    this.#setDetails(chooseExpression(this.details, expression));
  }

  setNote(note: string): void {
    if (note !== this.details.note) this.#setDetails({ ...this.details, note });
  }

  #setDetails(details: FaceDetails): void {
    if (!this.#model?.face) return;
    this.details = details;
    this.#detailsVersion += 1;
    this.#refreshSaveState();
    this.#scheduleSave();
  }

  // ── pointer and view ────────────────────────────────────────────────────────────────────

  resize(size: Size): void {
    if (!(size.width > 0 && size.height > 0)) return;
    this.#viewport = size;
    const model = this.#model;
    if (!model || model.mode === 'drag') return;
    model.setViewport(size);
    if (this.#autoFit) this.#fit();
  }

  pointerDown(at: Point, options: { button: number; shift: boolean }): void {
    const model = this.#model;
    if (!model?.face || model.mode === 'drag' || model.mode === 'pan') return;
    this.#pointer = at;
    if (options.button === 1 || (options.button === 0 && this.spaceHeld)) {
      this.#autoFit = false;
      model.beginPan(at);
      return;
    }
    if (options.button !== 0) return;
    const hit = model.hitTest(at, HIT_RADIUS_PX);
    if (hit !== null && options.shift) {
      this.#selectGroupOf(hit);
      this.#press = { at, target: 'selection' };
      return;
    }
    const inSelection = hit !== null && model.mode === 'select' && model.selection.includes(hit);
    this.#press = { at, target: inSelection ? 'selection' : hit };
  }

  pointerMove(at: Point): void {
    const model = this.#model;
    this.#pointer = at;
    if (!model?.face) return;
    if (model.mode === 'pan') return model.updatePan(at);
    if (model.mode === 'drag') return model.updateDrag(at);
    const press = this.#press;
    if (press && press.target !== null) {
      if (Math.hypot(at.x - press.at.x, at.y - press.at.y) < DRAG_THRESHOLD_PX) return;
      if (model.beginDrag(press.target, press.at)) {
        if (typeof press.target === 'number') this.active = press.target;
        model.updateDrag(at);
      }
      this.#press = null;
      return;
    }
    this.hovered = model.hitTest(at, HIT_RADIUS_PX);
  }

  pointerUp(): void {
    const model = this.#model;
    const press = this.#press;
    this.#press = null;
    if (!model?.face) return;
    if (model.mode === 'pan') return model.endPan();
    if (model.mode === 'drag') {
      model.endDrag();
      return;
    }
    if (!press) return;
    if (model.mode === 'place') {
      const result = model.placePoint(press.at);
      if ('placed' in result) this.active = result.placed;
      else this.notice = result.refused === 'all-placed' ? 'Every point is placed' : null;
    } else if (typeof press.target === 'number') {
      this.active = press.target;
    }
  }

  pointerLeave(): void {
    this.hovered = null;
  }

  wheel(at: Point, deltaY: number): void {
    const model = this.#model;
    if (!model?.face || model.mode === 'drag') return;
    this.#autoFit = false;
    model.zoomAt(at, Math.exp(-deltaY * WHEEL_ZOOM_PER_PX));
  }

  /** Space held turns a drag into a pan; called on keydown/keyup of the space bar. */
  setSpace(held: boolean): void {
    this.spaceHeld = held;
  }

  // ── keyboard ────────────────────────────────────────────────────────────────────────────

  /** Runs the command a key press names; false when the key means nothing here. */
  key(press: KeyPress): boolean {
    const command = commandFor(press);
    if (!command) return false;
    try {
      this.run(command);
    } catch (error) {
      this.notice = message(error);
    }
    return true;
  }

  run(command: LabellerCommand): void {
    if (command.kind === 'help') {
      this.showHelp = !this.showHelp;
      return;
    }
    if (command.kind === 'escape' && this.showHelp) {
      this.showHelp = false;
      return;
    }
    if (command.kind === 'next-image') return void this.next();
    if (command.kind === 'previous-image') return void this.previous();
    if (command.kind === 'next-unlabelled') return void this.nextUnlabelled();
    if (command.kind === 'next-uncertain') return void this.nextUncertain();
    if (command.kind === 'save') return void this.save();
    if (command.kind === 'toggle-attribute') {
      const name = this.attributeNames[command.index];
      if (name) this.toggleAttribute(name);
      return;
    }
    if (command.kind === 'set-expression') {
      const expression = this.schemas?.attributes?.expressions?.[command.index];
      if (expression) this.chooseExpression(expression);
      return;
    }
    const model = this.#model;
    if (!model?.face) return;
    if (command.kind === 'escape') {
      if (model.mode === 'drag') model.cancelDrag();
      else if (model.mode !== 'pan') model.setMode('idle');
      return;
    }
    // Everything below edits or moves the view: not in the middle of a drag or pan.
    if (model.mode === 'drag' || model.mode === 'pan') return;
    const target = this.hovered ?? this.active;
    switch (command.kind) {
      case 'tool':
        model.setMode(command.tool);
        break;
      case 'undo':
        model.undo();
        break;
      case 'redo':
        model.redo();
        break;
      case 'toggle-occluded':
        if (target !== null) model.toggleOccluded(target);
        break;
      case 'clear-point':
        if (target !== null) model.clearPoint(target);
        break;
      case 'drop-template':
        this.dropTemplate();
        break;
      case 'mirror-assist': {
        const proposed = model.mirrorAssist();
        this.notice = proposed.length
          ? `Mirror assist proposed ${proposed.length} points: check and drag them`
          : 'Mirror assist found nothing to propose';
        break;
      }
      case 'select-group':
        if (target !== null) this.#selectGroupOf(target);
        break;
      case 'confirm':
        this.confirm(target);
        break;
      case 'confirm-all':
        if (!model.confirmPoints()) this.notice = 'No unconfirmed point to confirm';
        break;
      case 'select-all':
        model.selectAll();
        break;
      case 'scale-selection':
        if (model.mode === 'select') model.scaleSelection(command.factor);
        break;
      case 'move-selection':
        if (model.mode === 'select') {
          const scale = model.transform.scale;
          model.moveGroup(command.dx / scale, command.dy / scale);
        }
        break;
      case 'zoom': {
        const at = this.#pointer ?? { x: this.#viewport.width / 2, y: this.#viewport.height / 2 };
        this.#autoFit = false;
        model.zoomAt(at, command.factor);
        break;
      }
      case 'fit-face':
        this.#autoFit = false;
        model.fitFace();
        break;
      case 'fit-image':
        this.#autoFit = false;
        model.fitImage();
        break;
    }
  }

  /** Drops the template (mean of labelled faces, else the schema's) into the face box. */
  dropTemplate(): void {
    const model = this.#requireModel();
    const face = model.face;
    const size = model.imageSize;
    if (!face || !size || !this.schemas) return;
    const template = this.schemas.template.map(([x, y]) => ({ x, y }));
    model.dropTemplate(template, templateBox(face.box, size));
    this.notice =
      this.schemas.templateSource === 'labelled'
        ? 'Dropped the mean of your labelled faces: drag groups (Shift+drag) and points into place'
        : "Dropped the schema's mean face: drag groups (Shift+drag) and points into place";
  }

  setTool(tool: ToolMode): void {
    const model = this.#model;
    if (model?.face && model.mode !== 'drag' && model.mode !== 'pan') model.setMode(tool);
  }

  /** Selects a group's points (an eye, the mouth) so arrows or a drag move them together. */
  selectGroup(group: string): void {
    const model = this.#model;
    if (model?.face && model.mode !== 'drag' && model.mode !== 'pan') model.selectGroup(group);
  }

  // ── model-assisted labelling ────────────────────────────────────────────────────────────

  /**
   * Confirms the selection (select mode), else the point under the cursor or the last one
   * touched; with none of those, every unconfirmed point of the face.
   */
  confirm(target: number | null = this.hovered ?? this.active): void {
    const model = this.#model;
    if (!model?.face || model.mode === 'drag' || model.mode === 'pan') return;
    const indices =
      model.mode === 'select' && model.selection.length > 0
        ? model.selection
        : target !== null
          ? [target]
          : undefined;
    if (!model.confirmPoints(indices)) {
      this.notice = indices ? 'That point is already confirmed' : 'No unconfirmed point to confirm';
    }
  }

  /** Predicts the face shown with the chosen model and merges it in (nothing is saved yet). */
  async prelabelCurrent(): Promise<void> {
    const model = this.#model;
    const imageId = model?.face?.imageId;
    const modelId = this.prelabelModelId;
    if (!model || !imageId || !modelId) return;
    this.prelabelling = true;
    this.notice = null;
    try {
      const answer = await invoke('labels:prelabel', { modelId, target: { imageId } });
      if (this.#model?.face?.imageId !== imageId) return;
      if (!answer.face) {
        this.notice = 'The model returned no face for this image';
        return;
      }
      if (model.mode === 'drag' || model.mode === 'pan') {
        this.notice = 'Finish the drag, then pre-label again';
        return;
      }
      const kept = model.points.filter((p) => p.v !== 0 && p.confirmed).length;
      const set = model.applyPrediction(answer.face.points);
      this.notice =
        set === 0
          ? 'Nothing to pre-label: every point is placed'
          : `Pre-labelled ${set} points${kept ? `; kept the ${kept} you placed` : ''}. C confirms, W finds the most uncertain`;
      const worst = model.mostUncertain;
      if (worst) this.active = worst.index;
    } catch (error) {
      this.error = message(error);
    } finally {
      this.prelabelling = false;
    }
  }

  /** Pre-labels every image without a face annotation in the background. */
  async prelabelAll(): Promise<void> {
    const modelId = this.prelabelModelId;
    if (!modelId) return;
    if (this.prelabelJob && !this.prelabelJob.finished) return;
    this.prelabelJob = { jobId: null, done: 0, total: 0, finished: false, error: null };
    try {
      const answer = await invoke('labels:prelabel', { modelId, target: 'unlabelled' });
      if (this.prelabelJob) this.prelabelJob.jobId = answer.jobId;
      // Nothing to do (no unlabelled image) comes back without a job.
      if (answer.jobId === null && this.prelabelJob) this.prelabelJob.finished = true;
    } catch (error) {
      if (this.prelabelJob) {
        this.prelabelJob.error = message(error);
        this.prelabelJob.finished = true;
      }
    }
  }

  dismissPrelabelJob(): void {
    if (this.prelabelJob?.finished) this.prelabelJob = null;
  }

  /**
   * Shows the unconfirmed point with the highest uncertainty across every face: on this face, or
   * on the face that holds it. The first ask reads every labelled face; later ones use the index.
   */
  async nextUncertain(): Promise<void> {
    const model = this.#model;
    if (!model?.face || this.seekingDoubt) return;
    this.seekingDoubt = true;
    try {
      if (!this.#doubtsFresh) {
        // The scan reads the faces on disk: save this one first, then trust its live state.
        await this.save();
        this.notice = 'Looking for the most uncertain point…';
        await scanDoubts(listImages, getFace, this.#doubts);
        this.#doubtsFresh = true;
      }
      if (this.image) this.#doubts.set(this.image.id, this.position, model.points);
      const best = this.#doubts.best();
      if (!best) {
        this.notice = 'No unconfirmed point left to check';
        return;
      }
      if (best.imageId !== this.image?.id) {
        await this.#goTo(() => imageAt(listImages, best.position), 'That image is gone');
        if (this.image?.id !== best.imageId) {
          // The library changed under the index: scan again on the next ask.
          this.#doubtsFresh = false;
          this.notice = 'The library changed: press W again';
          return;
        }
      }
      const worst = model.mostUncertain;
      if (!worst) return;
      this.active = worst.index;
      this.hovered = null;
      this.#reveal(worst.index);
      const name = this.canvasSchema?.points[worst.index]?.name ?? `point ${worst.index}`;
      this.notice = `Most uncertain: ${worst.index} · ${name} (${(worst.uncertainty * 100).toFixed(1)}% of the face)`;
    } catch (error) {
      this.error = message(error);
    } finally {
      this.seekingDoubt = false;
    }
  }

  async #loadPrelabelModels(schemaId: string, pointCount: number): Promise<void> {
    try {
      const models = landmarkModels(await invoke('models:list', {}), { id: schemaId, pointCount });
      this.prelabelModels = models;
      if (!models.some((m) => m.id === this.prelabelModelId)) {
        this.prelabelModelId = models[0]?.id ?? null;
      }
    } catch {
      // No model shelf (e.g. no project models yet): pre-labelling stays unavailable.
      this.prelabelModels = [];
    }
  }

  #onPrelabel(progress: EventPayload<'labels:prelabelProgress'>): void {
    const job = this.prelabelJob;
    if (!job || (job.jobId !== null && job.jobId !== progress.jobId)) return;
    job.jobId = progress.jobId;
    job.done = progress.done;
    job.total = progress.total;
    job.finished = progress.finished;
    job.error = progress.error ?? null;
    // New predictions on disk: the doubt index no longer knows every face.
    this.#doubtsFresh = false;
    if (progress.finished) void this.#reloadIfUntouched();
  }

  /** The face shown had no points and was not edited: it may have just been pre-labelled. */
  async #reloadIfUntouched(): Promise<void> {
    const image = this.image;
    if (!image || this.dirty || this.labelledCount > 0) return;
    try {
      await this.#show({ position: this.position, item: image, total: this.total });
    } catch (error) {
      this.error = message(error);
    }
  }

  /** Pans so that point `i` is on screen, when it is not. */
  #reveal(i: number): void {
    const model = this.#model;
    const p = model?.points[i];
    if (!model || !p || model.mode !== 'idle') return;
    const at = model.imageToStage(p);
    const { width, height } = this.#viewport;
    const margin = 40;
    if (at.x > margin && at.y > margin && at.x < width - margin && at.y < height - margin) return;
    this.#autoFit = false;
    model.beginPan(at);
    model.updatePan({ x: width / 2, y: height / 2 });
    model.endPan();
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #selectGroupOf(i: number): void {
    const model = this.#requireModel();
    const group = model.schema.points[i]?.group;
    if (group) model.selectGroup(group);
  }

  #fit(): void {
    const model = this.#model;
    if (!model?.face) return;
    const face = model.face;
    if (face.box || face.points.some((p) => p.v !== 0)) model.fitFace();
    else model.fitImage();
  }

  #requireModel(): CanvasModel {
    if (!this.#model) throw new Error('The labeller has not started');
    return this.#model;
  }

  /** Mirrors what `reason` names into the runes the views read. */
  #sync(reason: ChangeReason): void {
    const model = this.#requireModel();
    switch (reason) {
      case 'points':
        this.points = model.points;
        this.nextToPlace = model.nextToPlace;
        if (this.#doubtsFresh && this.image && model.face?.imageId === this.image.id) {
          this.#doubts.set(this.image.id, this.position, model.points);
        }
        break;
      case 'transform':
        this.transform = model.transform;
        break;
      case 'mode':
        this.mode = model.mode;
        this.tool = model.toolMode;
        if (this.#changesDuringGesture && model.mode !== 'drag' && model.mode !== 'pan') {
          const changes = this.#changesDuringGesture;
          this.#changesDuringGesture = null;
          void this.#onFacesChanged(changes);
        }
        break;
      case 'selection':
        this.selection = model.selection;
        this.selectedGroup = model.selectedGroup;
        break;
      case 'history':
        this.canUndo = model.canUndo;
        this.canRedo = model.canRedo;
        this.undoLabel = model.undoLabel;
        this.redoLabel = model.redoLabel;
        if (model.dirty) this.#scheduleSave();
        this.#refreshSaveState();
        break;
      case 'saved':
        this.#refreshSaveState();
        break;
    }
  }
}
