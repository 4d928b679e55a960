/**
 * `face-studio pretrain --project P [--config file.json] [--set key=value]… [--resume RUN_ID]`:
 * pre-trains a backbone on the project's pool and train faces, in this process (the CLI is its
 * own single TensorFlow.js thread), writing runs/<id>/ and exporting models/<id>/ at the end.
 * Progress lines go to stderr, a JSON summary to stdout. A bad config key or type exits 2.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProjectStore } from '../../core/project-store';
import { pretrainSourcesOf } from '../../core/training/pretrain-sources';
import { chooseBackend } from '../../engine/backend';
import { runPretrainJob } from '../../engine/jobs/pretrain-job';
import { withoutComments } from '../../engine/jobs/run-folder';
import { parsePretrainConfig } from '../../engine/pretrain-config';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { formatDuration } from '../progress-text';
import { PRETRAIN_USAGE } from '../usage';

/** `a.b=value` → `{ a: { b: value } }`; the value is JSON when it parses, else a string. */
export function applySet(config: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${assignment}: expected key=value`, PRETRAIN_USAGE);
  const keys = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let at = config;
  for (const key of keys.slice(0, -1)) {
    const inner = at[key];
    at = (at[key] = typeof inner === 'object' && inner !== null ? inner : {}) as Record<
      string,
      unknown
    >;
  }
  at[keys.at(-1)!] = value;
}

function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `pretrain-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function pretrainCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      resume: { type: 'string' },
    },
    PRETRAIN_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, PRETRAIN_USAGE);
  if (!values.project) throw new UsageError('Missing --project', PRETRAIN_USAGE);

  let config: Record<string, unknown> = {};
  if (values.config) {
    try {
      // A run's config.json works as --config: its `$comments` are dropped.
      config = withoutComments(
        JSON.parse(await readFile(values.config, 'utf8')) as Record<string, unknown>,
      );
    } catch (error) {
      throw new UsageError(
        `--config ${values.config}: ${(error as Error).message}`,
        PRETRAIN_USAGE,
      );
    }
  }
  for (const assignment of values.set) applySet(config, assignment);
  // Check keys and types now (exit 2, the key named); a resumed run merges over its saved config.
  if (!values.resume) {
    try {
      parsePretrainConfig(config);
    } catch (error) {
      if (error instanceof StudioError) throw new UsageError(error.message, PRETRAIN_USAGE);
      throw error;
    }
  }

  const projectDir = path.resolve(values.project);
  const store = await ProjectStore.open(projectDir);
  let sources;
  try {
    sources = pretrainSourcesOf(store);
  } finally {
    await store.close();
  }
  const backend = await chooseBackend();
  io.err(`backend ${backend.name} · ${sources.length} images`);
  const runId = values.resume ?? newRunId();
  const outcome = await runPretrainJob(
    {
      jobId: runId,
      runDir: path.join(projectDir, 'runs', runId),
      modelsDir: path.join(projectDir, 'models'),
      config,
      resume: values.resume !== undefined,
      sources,
      projectDir,
    },
    {
      emit: (event) => {
        if (event.type === 'started') io.err(`run ${event.runDir}`);
        if (event.type === 'progress') {
          const p = event.progress;
          io.err(
            `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)} · lr ${p.lr.toExponential(2)} · ` +
              `${p.imagesPerSec.toFixed(2)} img/s · ETA ${formatDuration(p.etaSeconds)}`,
          );
        }
        if (event.type === 'checkpoint') io.err(`checkpoint at step ${event.step}: ${event.file}`);
      },
    },
  );
  if (outcome.type === 'failed') {
    const kept = outcome.lastCheckpoint ? ` (last checkpoint: ${outcome.lastCheckpoint})` : '';
    // A config problem found only now (a resumed run's merged config) is still a usage error.
    if (outcome.message.startsWith('Invalid pre-training config'))
      throw new UsageError(outcome.message, PRETRAIN_USAGE);
    throw new StudioError('internal', `${outcome.message}${kept}`);
  }
  io.out(JSON.stringify({ runId, ...outcome }, null, 2));
}
