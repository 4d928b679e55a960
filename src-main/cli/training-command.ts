/**
 * What `pretrain` and `finetune` share: the config from `--config` and `--set`, checked before
 * the run starts, progress lines on stderr, and how a failed run exits.
 */
import { readFile } from 'node:fs/promises';
import { withoutComments } from '../engine/jobs/run-folder';
import { StudioError } from '../shared/errors';
import type { JobEvent } from '../shared/worker-protocol';
import { UsageError } from './cli-io';
import { formatDuration } from '../shared/progress-text';

/** `a.b=value` → `{ a: { b: value } }`; the value is JSON when it parses, else a string. */
export function applySet(config: Record<string, unknown>, assignment: string, usage: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set ${assignment}: expected key=value`, usage);
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

/** The config that `--config FILE` (if given) and then each `--set` build; a bad one exits 2. */
export async function configFromArgs(
  values: { config?: string | undefined; set: string[] },
  usage: string,
): Promise<Record<string, unknown>> {
  let config: Record<string, unknown> = {};
  if (values.config) {
    try {
      // A run's config.json works as --config: its `$comments` are dropped.
      config = withoutComments(
        JSON.parse(await readFile(values.config, 'utf8')) as Record<string, unknown>,
      );
    } catch (error) {
      throw new UsageError(`--config ${values.config}: ${(error as Error).message}`, usage);
    }
  }
  for (const assignment of values.set) applySet(config, assignment, usage);
  return config;
}

/**
 * Parses the config where it enters, once: a bad key or type exits 2 with the key named, and the
 * typed config goes down to the job (engine/jobs/run-config.ts).
 */
export function checkConfig<T>(
  parse: (config: Record<string, unknown>) => T,
  config: Record<string, unknown>,
  usage: string,
): T {
  try {
    return parse(config);
  } catch (error) {
    if (error instanceof StudioError) throw new UsageError(error.message, usage);
    throw error;
  }
}

/** One line per event worth a person's eye, or null. */
export function describeJobEvent(event: JobEvent): string | null {
  switch (event.type) {
    case 'started':
      return `run ${event.runDir}`;
    case 'progress': {
      const p = event.progress;
      return (
        `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)} · lr ${p.lr.toExponential(2)} · ` +
        `${p.imagesPerSec.toFixed(2)} img/s · ETA ${formatDuration(p.etaSeconds)}`
      );
    }
    case 'validation': {
      const v = event.validation;
      const value = v.metrics[v.monitored];
      return (
        `epoch ${v.epoch} · validation ${v.monitored} ${value === undefined ? '–' : value.toFixed(4)}` +
        (v.improved ? ' (best so far)' : '')
      );
    }
    case 'checkpoint':
      return `checkpoint at step ${event.step}: ${event.file}`;
    default:
      return null;
  }
}

/**
 * Throws for a failed run, naming its last checkpoint. A config problem found only now (a resumed
 * run's merged config, whose message starts with `invalidConfig`) is still a usage error.
 */
export function throwIfFailed(
  outcome: Extract<JobEvent, { type: 'done' | 'failed' | 'cancelled' }>,
  invalidConfig: string,
  usage: string,
): void {
  if (outcome.type !== 'failed') return;
  if (outcome.message.startsWith(invalidConfig)) throw new UsageError(outcome.message, usage);
  const kept = outcome.lastCheckpoint ? ` (last checkpoint: ${outcome.lastCheckpoint})` : '';
  throw new StudioError('internal', `${outcome.message}${kept}`);
}
