/**
 * A training run on disk (DESIGN §6): runs/<id>/ with
 * - config.json: the resolved config (every default filled in), written when the run starts, with
 *   each key's description under `$comments` (dropped on read, so the file is a valid --config);
 * - metrics.jsonl: one JSON line per logged step;
 * - checkpoints/latest.ckpt: written by the loop every N steps and at cancel;
 * - run.json: status, step, last checkpoint and the exported model (the runs index: the project
 *   store has no API for project.json's `runs` yet, so each run describes itself).
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import type { RunSummary } from '../../shared/domain';
import { pretrainConfigComments } from '../pretrain-config';

/** The key of config.json that holds the descriptions of the other keys. */
export const COMMENTS_KEY = '$comments';

export function withoutComments(config: Record<string, unknown>): Record<string, unknown> {
  const { [COMMENTS_KEY]: _comments, ...rest } = config;
  return rest;
}

export interface RunRecord extends RunSummary {
  updatedAt: string;
  step: number;
  lastCheckpoint: string | null;
  /** models/<id>/ holding the exported backbone, once done. */
  modelDir?: string;
  finalLoss?: number | null;
}

export class RunFolder {
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

  async create(): Promise<void> {
    await mkdir(this.checkpointDir, { recursive: true });
  }

  async writeConfig(config: object): Promise<void> {
    const file = { ...config, [COMMENTS_KEY]: pretrainConfigComments() };
    await writeFile(path.join(this.dir, 'config.json'), `${JSON.stringify(file, null, 2)}\n`);
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

  async appendMetrics(line: Record<string, unknown>): Promise<void> {
    await appendFile(this.metricsFile, `${JSON.stringify(line)}\n`);
  }

  /** On resume: drops lines logged after the checkpoint, which the resumed run logs again. */
  async truncateMetrics(afterStep: number): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.metricsFile, 'utf8');
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
    await writeFile(this.metricsFile, kept);
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await writeFile(path.join(this.dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  }
}
