/**
 * The labeller: the state the Label section renders, over one `CanvasModel` (see
 * docs/ARCHITECTURE.md, "Labelling canvas"). It puts four parts together and mirrors the model
 * into runes on each change reason:
 *
 * - ./model/gestures.ts: what a pointer or key event means on the canvas;
 * - ./autosave.svelte.ts: one debounced save of the face shown, and faces saved elsewhere;
 * - ./navigation.svelte.ts: which image is shown, and stepping through the library;
 * - ./model-assist.svelte.ts: pre-labelling with a model and the most-uncertain-point search.
 *
 * It owns what is left: the project's schemas, the face's details (attributes, expression,
 * note), loading a face into the model, the keys that are not the canvas's, and the messages.
 * Components render these fields and forward events here; only `api.ts` talks to the studio.
 */
import type { ResponseOf } from '$shared/ipc-contract';
import type { LibraryItem } from '$shared/library';
import { faceState } from '$shared/point-provenance';
import { invoke, mediaUrl, on } from '../../lib/api';
import { studio } from '../../lib/app.svelte';
import { Autosaver, type EditedFace } from './autosave.svelte';
import {
  binaryAttributeNames,
  chooseClass,
  chooseExpression,
  classAttributes,
  detailsOf,
  NO_DETAILS,
  pointColours,
  toggleAttribute,
  type ClassAttribute,
  type FaceDetails,
} from './face-draft';
import { nextUnlabelled, type ImageAt, type ListImages } from './image-navigation';
import { commandFor, type KeyPress, type LabellerCommand } from './keymap';
import { CanvasModel, type ChangeReason } from './model/canvas-model';
import { canvasSchemaOf, templateOf, type CanvasSchema } from './model/canvas-schema';
import { unconfirmedCount, type Points } from './model/face-record';
import { CanvasGestures, isCanvasCommand } from './model/gestures';
import type { Mode, ToolMode } from './model/modes';
import { IDENTITY, type Point, type Size, type ViewTransform } from './model/transform';
import { ModelAssist } from './model-assist.svelte';
import { Navigation } from './navigation.svelte';
import type { GetFace } from './prelabel';

export type LabellingSchemas = ResponseOf<'schema:get'>;

/** What the next-face prompt says when no image is left unlabelled. */
export const NOTHING_LEFT = 'Every image is labelled: train a model on them in Train';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const listImages: ListImages = (request) => invoke('library:list', request);
const getFace: GetFace = (imageId) => invoke('labels:get', { imageId });

/**
 * Starts fetching an image's pixels (media answers are cacheable), so the stage's own load of
 * the same address, once the face is in, finds them on the way or cached.
 */
function fetchAhead(url: string): void {
  if (typeof Image === 'undefined') return;
  new Image().src = url;
}

export class Labeller {
  schemas = $state.raw<LabellingSchemas | null>(null);
  canvasSchema = $state.raw<CanvasSchema | null>(null);
  colours = $state.raw<string[]>([]);
  attributeNames = $state.raw<string[]>([]);
  /** One-of-N attributes (MTFL head pose), each a row of choices in the attribute panel. */
  classAttributes = $state.raw<ClassAttribute[]>([]);

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

  /** The pointer's state, mirrored from the gestures (see ./model/gestures.ts). */
  hovered = $state<number | null>(null);
  active = $state<number | null>(null);
  spaceHeld = $state(false);
  /** Place mode's keyboard cursor (image pixels), where Enter places the next point. */
  cursor = $state.raw<Point | null>(null);

  details = $state.raw<FaceDetails>(NO_DETAILS);
  showHelp = $state(false);
  loading = $state(true);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  /**
   * Once the face shown is complete (`faceComplete`): whether another image waits unlabelled,
   * so the view offers the next face or says every one is done; null until known.
   */
  moreToLabel = $state<boolean | null>(null);

  /** What pointer and canvas key events mean; null until the schemas are loaded. */
  gestures = $state.raw<CanvasGestures | null>(null);

  readonly autosave = new Autosaver({
    read: () => this.#edited(),
    write: (face, baseRevision) => invoke('labels:save', { face, baseRevision }),
    reload: () => this.#reshow(),
    gesturing: () => this.gestures?.gesturing ?? false,
    saved: (face) => {
      const state = faceState(face);
      this.navigation.update(face.imageId, {
        labelled: state === 'labelled',
        needsReview: state === 'needs-review',
      });
    },
  });

  readonly navigation = new Navigation({
    list: listImages,
    leave: async () => {
      this.autosave.conflict = null;
      // Nothing saved is lost: an image whose save failed stays on screen until it saves, and
      // one reloaded after a conflict stays so the person sees what is stored now.
      await this.autosave.save();
      return !(this.autosave.error || this.autosave.conflict);
    },
    show: (target) => this.#show(target),
    notify: (text) => (this.notice = text),
    fail: (text) => (this.error = text),
  });

  readonly assist = new ModelAssist({
    model: () => this.#model,
    shown: () => {
      const image = this.navigation.image;
      return image ? { image, position: this.navigation.position } : null;
    },
    list: listImages,
    getFace,
    save: () => this.autosave.save(),
    goTo: (position) => this.navigation.goTo(position),
    activate: (i) => this.gestures?.activate(i),
    focus: (i) => this.gestures?.focus(i),
    reloadIfUntouched: () => this.#reloadIfUntouched(),
    notify: (text) => (this.notice = text),
    fail: (text) => (this.error = text),
  });

  #model: CanvasModel | null = null;
  #viewport: Size = { width: 800, height: 600 };
  /** A face is being loaded into the model: its change events are not edits. */
  #loadingFace = false;
  #stop: (() => void)[] = [];
  /** The image whose `moreToLabel` is being looked up; null when no lookup is running. */
  #lookingFor: string | null = null;

  get model(): CanvasModel | null {
    return this.#model;
  }

  get image(): LibraryItem | null {
    return this.navigation.image;
  }

  get labelledCount(): number {
    return this.points.filter((p) => p.v !== 0).length;
  }

  /** Points of the face shown that a model or template placed and no person confirmed yet. */
  get unconfirmedCount(): number {
    return unconfirmedCount(this.points);
  }

  /** Every point of the face shown is placed and none waits for a person to confirm it. */
  get faceComplete(): boolean {
    return (
      this.points.length > 0 &&
      this.labelledCount === this.points.length &&
      this.unconfirmedCount === 0
    );
  }

  /** Resolves `start`'s wait for the stage's first image (the template is asked after it). */
  #firstImageSettled: (() => void) | null = null;

  /** The stage calls this when an image has loaded or failed to: the first lets the template come. */
  imageSettled(): void {
    this.#firstImageSettled?.();
  }

  /** Loads the project's schemas and shows the first unlabelled image (else the first). */
  async start(): Promise<void> {
    const imageShown = new Promise<void>((resolve) => (this.#firstImageSettled = resolve));
    this.loading = true;
    this.error = null;
    try {
      // Opened on one image from the library (double-click, Enter), else the first unlabelled:
      // that one is looked for beside the schemas (its list requests need none), not after.
      const target = studio.takeLabelTarget();
      const firstImage = target ? null : this.navigation.findFirst();
      // Handled below once the schemas are in; a failure of both must not go unhandled.
      firstImage?.catch(() => undefined);
      const schemas = await invoke('schema:get', {});
      const canvasSchema = canvasSchemaOf(schemas.landmarks);
      this.schemas = schemas;
      this.canvasSchema = canvasSchema;
      this.colours = pointColours(schemas.landmarks);
      this.attributeNames = binaryAttributeNames(schemas.attributes);
      this.classAttributes = classAttributes(schemas.attributes);
      const model = new CanvasModel(canvasSchema, { viewport: this.#viewport });
      const template = { points: templateOf(schemas.landmarks), source: 'schema' as const };
      const gestures = new CanvasGestures(model, template, (text) => (this.notice = text));
      this.#model = model;
      this.gestures = gestures;
      this.#stop = [
        model.on((reason) => this.#sync(reason)),
        gestures.on(() => {
          this.hovered = gestures.hovered;
          this.active = gestures.active;
          this.spaceHeld = gestures.spaceHeld;
          this.cursor = gestures.cursor;
        }),
        on('labels:prelabelProgress', (progress) => this.assist.progress(progress)),
        on('labels:changed', (change) => void this.autosave.facesChanged(change.faces)),
      ];
      void this.assist.loadModels({
        id: schemas.landmarks.id,
        pointCount: schemas.landmarks.points.length,
      });
      if (target) await this.navigation.goTo(target.position);
      else await this.navigation.first(firstImage!);
      // The project's own template may read every face of a big project, and the server answers
      // one request at a time: asked once the first image is on screen (the schema's serves until
      // it comes; showing a face also clears the notice a failure leaves). Asked with the face,
      // its reading cut into the image's answer (bench:scroll, Label 323 ms).
      void imageShown.then(() => this.#takeTemplate(gestures, invoke('schema:template', {})));
    } catch (error) {
      this.error = message(error);
    } finally {
      this.loading = false;
    }
  }

  /** Hands the project's template to the gestures when it comes (they start with the schema's). */
  async #takeTemplate(
    gestures: CanvasGestures,
    asked: Promise<ResponseOf<'schema:template'>>,
  ): Promise<void> {
    try {
      const answer = await asked;
      gestures.setTemplate({
        points: answer.template.map(([x, y]) => ({ x, y })),
        source: answer.templateSource,
      });
    } catch (error) {
      this.notice = `The mean of your labelled faces could not be had (${message(error)}): T drops the schema's mean face`;
    }
  }

  /** Saves what is pending and lets go of the model; the view calls it when it goes away. */
  async stop(): Promise<void> {
    await this.autosave.save();
    this.autosave.dispose();
    for (const stop of this.#stop) stop();
    this.#stop = [];
    this.#firstImageSettled = null;
  }

  /** Saves the face now if it changed (see `Autosaver.save`). */
  async save(): Promise<void> {
    await this.autosave.save();
  }

  /** The stage's size; kept until the canvas exists, which then starts at it. */
  resize(size: Size): void {
    if (!(size.width > 0 && size.height > 0)) return;
    this.#viewport = size;
    this.gestures?.resize(size);
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
    if (this.showHelp) {
      // The shortcut list covers the canvas: only the keys that close it act.
      if (command.kind === 'escape' || command.kind === 'help') this.showHelp = false;
      return;
    }
    if (command.kind === 'drop-template') return void this.dropTemplate();
    // Enter places the next point at the keyboard cursor while points remain; once the face is
    // complete the same key takes the next-face prompt.
    if (command.kind === 'place-at-cursor' && this.faceComplete) return this.nextFace();
    if (isCanvasCommand(command)) return this.gestures?.run(command);
    switch (command.kind) {
      case 'help':
        this.showHelp = !this.showHelp;
        return;
      case 'next-image':
        return void this.navigation.next();
      case 'previous-image':
        return void this.navigation.previous();
      case 'next-unlabelled':
        return void this.navigation.nextUnlabelled();
      case 'next-uncertain':
        return void this.assist.nextUncertain();
      case 'save':
        return void this.autosave.save();
      case 'toggle-attribute': {
        const name = this.attributeNames[command.index];
        if (name) this.toggleAttribute(name);
        return;
      }
      case 'set-expression': {
        const expression = this.schemas?.attributes?.expressions?.[command.index];
        if (expression) this.chooseExpression(expression);
        return;
      }
    }
  }

  /**
   * Drops the template fitted to the eyes the studio finds on this face (`labels:template`), else
   * into the face box. Nothing is dropped when the face was edited or left while it was asked.
   */
  async dropTemplate(): Promise<void> {
    const model = this.#model;
    const gestures = this.gestures;
    const face = model?.face;
    if (!model || !gestures || !face) return;
    const { imageId, box } = face;
    const version = model.version;
    this.notice = 'Fitting the template to the eyes…';
    let answer: ResponseOf<'labels:template'> | null = null;
    let failure: string | null = null;
    try {
      answer = await invoke('labels:template', { imageId, ...(box ? { box } : {}) });
    } catch (error) {
      failure = message(error);
    }
    if (model.face?.imageId !== imageId || model.version !== version) return;
    try {
      if (answer && answer.points.length === model.points.length) {
        gestures.dropPlaced(answer.points, answer.fit, answer.source, answer.why);
      } else {
        gestures.dropTemplate();
        if (failure)
          this.notice = `${this.notice ?? ''} (the eyes were not looked for: ${failure})`;
      }
    } catch (error) {
      this.notice = message(error);
    }
  }

  /**
   * The prompt after the last point: the next unlabelled image, or, when none is left, a line
   * that says so and where to go next. Does nothing while the face is not complete.
   */
  nextFace(): void {
    if (!this.faceComplete) return;
    if (this.moreToLabel === false) {
      this.notice = NOTHING_LEFT;
      return;
    }
    void this.navigation.nextUnlabelled();
  }

  /** Looks up whether another image waits unlabelled, once the face shown is complete. */
  #lookForMore(): void {
    const image = this.navigation.image;
    if (!this.faceComplete || !image) {
      this.moreToLabel = null;
      return;
    }
    if (this.moreToLabel !== null || this.#lookingFor === image.id) return;
    this.#lookingFor = image.id;
    const position = this.navigation.position;
    nextUnlabelled(listImages, position)
      .then(
        (found) => found !== null,
        // Unknown: offer the step anyway; U says "Every image is labelled" if so.
        () => true,
      )
      .then((more) => {
        if (this.#lookingFor !== image.id) return;
        this.#lookingFor = null;
        if (this.navigation.image?.id === image.id && this.faceComplete) this.moreToLabel = more;
      });
  }

  // ── attributes, expression, note ────────────────────────────────────────────────────────

  toggleAttribute(name: string): void {
    this.#setDetails(toggleAttribute(this.details, name));
  }

  chooseClass(name: string, value: string): void {
    this.#setDetails(chooseClass(this.details, name, value));
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
    this.autosave.edited();
  }

  // ── showing a face ──────────────────────────────────────────────────────────────────────

  async #show(target: ImageAt): Promise<void> {
    const model = this.#model;
    const gestures = this.gestures;
    if (!model || !gestures) throw new Error('The labeller has not started');
    const { item } = target;
    fetchAhead(mediaUrl('image', item.id));
    const face = await invoke('labels:get', { imageId: item.id });
    this.#loadingFace = true;
    try {
      model.load({
        imageId: item.id,
        imageSize: { width: item.width, height: item.height },
        points: face?.points ?? null,
        box: face?.box ?? item.face?.box,
      });
    } finally {
      this.#loadingFace = false;
    }
    this.navigation.shown(target);
    this.details = detailsOf(face);
    this.notice = null;
    this.error = null;
    this.moreToLabel = null;
    this.#lookingFor = null;
    this.#lookForMore();
    gestures.loaded();
    this.autosave.loaded(face?.revision ?? null);
    this.assist.track(item.id, target.position, model.points);
  }

  /** Shows the stored face of the image on screen again, dropping unsaved edits. */
  async #reshow(): Promise<boolean> {
    const current = this.navigation.current;
    if (!current) return false;
    try {
      await this.#show(current);
      return true;
    } catch (error) {
      this.error = message(error);
      return false;
    }
  }

  /** The face shown had no points and was not edited: it may have just been pre-labelled. */
  async #reloadIfUntouched(): Promise<void> {
    if (this.autosave.dirty || this.labelledCount > 0) return;
    await this.#reshow();
  }

  #edited(): EditedFace | null {
    const model = this.#model;
    const face = model?.face;
    if (!model || !face) return null;
    return { face, pointsVersion: model.version, details: this.details };
  }

  /** Mirrors what `reason` names into the runes the views read. */
  #sync(reason: ChangeReason): void {
    const model = this.#model;
    if (!model) return;
    switch (reason) {
      case 'points': {
        this.points = model.points;
        this.nextToPlace = model.nextToPlace;
        if (!this.#loadingFace) this.#lookForMore();
        this.cursor = this.gestures?.cursor ?? null;
        const image = this.navigation.image;
        if (!this.#loadingFace && image && model.face?.imageId === image.id) {
          this.assist.track(image.id, this.navigation.position, model.points);
        }
        break;
      }
      case 'transform':
        this.transform = model.transform;
        break;
      case 'mode':
        this.mode = model.mode;
        this.tool = model.toolMode;
        this.cursor = this.gestures?.cursor ?? null;
        this.autosave.gestureEnded();
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
        if (!this.#loadingFace) this.autosave.edited();
        break;
    }
  }
}
