/**
 * A training run on disk (DESIGN §6): runs/<id>/ with
 * - config.json: the resolved config (every default filled in), written when the run starts, with
 *   each key's description under `$comments` (dropped on read, so the file is a valid --config);
 * - metrics.jsonl: one JSON line per logged step;
 * - validation.jsonl (fine-tuning): one JobValidation line per evaluation;
 * - checkpoints/latest.ckpt: written by the loop every N steps and at cancel;
 * - run.json: status, step, last checkpoint and the exported model (the runs index: main lists
 *   runs from these files, so the job rewrites it, atomically, on every change of status).
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write';
import { StudioError } from '../../shared/errors';
import type { RunSummary } from '../../shared/domain';
import type { CedCurve } from '../../shared/worker-protocol';
import { pretrainConfigComments } from '../pretrain/pretrain-config';

/** The key of config.json that holds the descriptions of the other keys. */
export const COMMENTS_KEY = '$comments';

/** What this module reads of a zod 4 schema's definition. */
interface SchemaDef {
  type: string;
  innerType?: SchemaLike;
  shape?: Record<string, SchemaLike>;
}
interface SchemaLike {
  description?: string;
  def: unknown;
}

/**
 * The `.describe()` texts of a config schema's keys, nested objects as dotted keys
 * (`augment.rotation`), for config.json's `$comments`.
 */
export function configComments(schema: SchemaLike, prefix = ''): Record<string, string> {
  let def = schema.def as SchemaDef;
  while (def.innerType && ['default', 'optional', 'nullable', 'prefault'].includes(def.type))
    def = def.innerType.def as SchemaDef;
  const out: Record<string, string> = {};
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (field.description) out[name] = field.description;
    Object.assign(out, configComments(field, name));
  }
  return out;
}

export function withoutComments(config: Record<string, unknown>): Record<string, unknown> {
  const { [COMMENTS_KEY]: _comments, ...rest } = config;
  return rest;
}

export interface RunRecord extends RunSummary {
  updatedAt: string;
  step: number;
  lastCheckpoint: string | null;
  /** Steps the run will take (fine-tuning: after maxSteps); null before it is known. */
  totalSteps?: number | null;
  /** Fine-tuning: what the head predicts. */
  task?: 'landmarks' | 'attributes' | 'expression';
  /** Fine-tuning: the backbone model it started from; null = from scratch. */
  backboneId?: string | null;
  /** models/<id>/ holding the exported model, once done, and its id. */
  modelDir?: string;
  modelId?: string;
  finalLoss?: number | null;
  /** Fine-tuning: the final metrics (test split, else validation), once done. */
  metrics?: Record<string, number> | null;
  /** Landmark fine-tuning: the CED curve on the same faces. */
  ced?: CedCurve | null;
}

export class RunFolder {
  /** Appends run one after another, so log lines land in the order they were asked for even
   * when callers do not await each one (concurrent appendFile calls may finish in any order). */
  private appends: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {}

  get id(): string {
    return path.basename(this.dir);
  }
  get checkpointDir(): string {
    return path.join(this.dir, 'checkpoints');
  }
  get checkpointFile(): string {
    return path.join(this.checkpointDir, 'latest.ckpt');
  }
  get metricsFile(): string {
    return path.join(this.dir, 'metrics.jsonl');
  }
  get validationFile(): string {
    return path.join(this.dir, 'validation.jsonl');
  }

  async create(): Promise<void> {
    await mkdir(this.checkpointDir, { recursive: true });
  }

  /** The resolved config with `comments` (by key; default: pre-training's) beside it. */
  async writeConfig(
    config: object,
    comments: Record<string, string> = pretrainConfigComments(),
  ): Promise<void> {
    const file = { ...config, [COMMENTS_KEY]: comments };
    await writeFileAtomic(path.join(this.dir, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
  }

  async readConfig(): Promise<Record<string, unknown>> {
    const file = path.join(this.dir, 'config.json');
    try {
      return withoutComments(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>);
    } catch (error) {
      throw new StudioError(
        'not-found',
        `Run ${this.dir} cannot be resumed: ${file} cannot be read (${(error as Error).message})`,
      );
    }
  }

  appendMetrics(line: Record<string, unknown>): Promise<void> {
    return this.appendInOrder(this.metricsFile, `${JSON.stringify(line)}\n`);
  }

  appendValidation(line: object): Promise<void> {
    return this.appendInOrder(this.validationFile, `${JSON.stringify(line)}\n`);
  }

  private appendInOrder(file: string, text: string): Promise<void> {
    const done = this.appends.then(() => appendFile(file, text));
    this.appends = done.catch(() => undefined); // a failed append is its caller's to report
    return done;
  }

  /** On resume: drops lines logged after the checkpoint, which the resumed run logs again. */
  async truncateMetrics(afterStep: number, file = this.metricsFile): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const kept = text
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          return (JSON.parse(line) as { step: number }).step <= afterStep;
        } catch {
          return false; // a line cut short by a kill
        }
      })
      .map((line) => `${line}\n`)
      .join('');
    await writeFile(file, kept);
  }

  /** run.json as last written, or null when there is none (or it cannot be read). */
  async readRecord(): Promise<Partial<RunRecord> | null> {
    try {
      return JSON.parse(
        await readFile(path.join(this.dir, 'run.json'), 'utf8'),
      ) as Partial<RunRecord>;
    } catch {
      return null;
    }
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  }
}
