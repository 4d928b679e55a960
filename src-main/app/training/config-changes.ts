/**
 * What tells runs apart in the history list: the settings whose values differ between a run's
 * config and the previous run's of the same kind and task (runs started with the same one-click
 * button look alike otherwise). Pure.
 */
import type { ConfigChange, RunInfo } from '../../shared/training';

/** Settings that differ in every run by construction, so they tell nothing. */
const OWN_KEYS = new Set(['checkpointDir']);

/** Dotted keys to their values as JSON; arrays are one value (`augment.scale`: `[0.9,1.1]`). */
export function flattenConfig(
  config: Readonly<Record<string, unknown>>,
  prefix = '',
  out = new Map<string, string>(),
): Map<string, string> {
  for (const [key, value] of Object.entries(config)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (OWN_KEYS.has(dotted)) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flattenConfig(value as Record<string, unknown>, dotted, out);
    } else {
      out.set(dotted, JSON.stringify(value) ?? 'null');
    }
  }
  return out;
}

/** The keys whose values differ (a key only one side has reads `absent` on the other), sorted. */
export function configChanges(
  previous: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>>,
): ConfigChange[] {
  const before = flattenConfig(previous);
  const after = flattenConfig(current);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.flatMap((key) => {
    const from = before.get(key) ?? 'absent';
    const to = after.get(key) ?? 'absent';
    return from === to ? [] : [{ key, from, to }];
  });
}

/**
 * Each run (newest first) with its changes from the next older run of the same kind and task;
 * `configs` by run id, with the backbone a run started from as one more setting.
 */
export function withConfigChanges(
  runs: readonly RunInfo[],
  configs: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): RunInfo[] {
  const settings = (run: RunInfo) => ({
    ...(configs.get(run.id) ?? {}),
    ...(run.kind === 'finetune' ? { backbone: run.backboneId } : {}),
  });
  return runs.map((run, at) => {
    const previous = runs
      .slice(at + 1)
      .find((older) => older.kind === run.kind && older.task === run.task);
    return {
      ...run,
      changes: previous ? configChanges(settings(previous), settings(run)) : null,
    };
  });
}
