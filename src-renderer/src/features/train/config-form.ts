/**
 * The Advanced form, generated from `training:configSchema`'s fields: what each input starts
 * with, how its text becomes a config value (with the field's type, range and options), and
 * which keys differ from the one-click defaults, since `training:start` takes only the keys the
 * user changed. Keys are dotted (`augment.rotation`); the config sent nests them
 * (`{ augment: { rotation: 10 } }`), which is the shape the engine's config schema reads.
 */
import type { ConfigField } from '$shared/training';

/** Text for every input but a checkbox, which holds a boolean. */
export type FormValue = string | boolean;
export type FormValues = Readonly<Record<string, FormValue>>;
export type ConfigObject = Record<string, unknown>;

/**
 * Keys the form never shows: the task is picked above the form, and main owns the run folder
 * (checkpoints go in runs/<id>/). The preset has its own picker, which writes the same key.
 */
export const HIDDEN_KEYS: ReadonlySet<string> = new Set(['task', 'checkpointDir']);
export const PRESET_KEY = 'model.preset';

export function visibleFields(fields: readonly ConfigField[]): ConfigField[] {
  return fields.filter((f) => !HIDDEN_KEYS.has(f.key) && f.key !== PRESET_KEY);
}

/** A value at a dotted key: a flat key as given, else walked through nested objects. */
export function valueAt(config: Readonly<ConfigObject>, key: string): unknown {
  if (Object.hasOwn(config, key)) return config[key];
  let at: unknown = config;
  for (const part of key.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, part)) return undefined;
    at = (at as ConfigObject)[part];
  }
  return at;
}

/** Sets a dotted key in a nested object, creating the objects on the way. */
export function setAt(config: ConfigObject, key: string, value: unknown): void {
  const parts = key.split('.');
  let at = config;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[part] = {};
    at = at[part] as ConfigObject;
  }
  at[parts[parts.length - 1]!] = value;
}

/** The value a field starts from: the one-click defaults, else the schema's own default. */
export function baseValue(field: ConfigField, defaults: Readonly<ConfigObject>): unknown {
  const value = valueAt(defaults, field.key);
  return value === undefined ? field.default : value;
}

export function toFormValue(field: ConfigField, value: unknown): FormValue {
  if (field.type === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (field.type === 'json') return JSON.stringify(value);
  return String(value);
}

export function initialValues(
  fields: readonly ConfigField[],
  defaults: Readonly<ConfigObject>,
): Record<string, FormValue> {
  const values: Record<string, FormValue> = {};
  for (const field of fields) values[field.key] = toFormValue(field, baseValue(field, defaults));
  return values;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function inRange(field: ConfigField, n: number): string | null {
  if (field.min !== undefined && n < field.min) return `at least ${field.min}`;
  if (field.max !== undefined && n > field.max) return `at most ${field.max}`;
  return null;
}

/**
 * Reads one input. Empty text means "nothing": null where the schema's or the one-click default
 * is null (`trainableBlocks`: all blocks), absent where the field is optional; otherwise it is an
 * error.
 */
export function parseField(field: ConfigField, raw: FormValue, base: unknown): Parsed {
  if (field.type === 'boolean') return { ok: true, value: raw === true };
  const text = String(raw).trim();
  if (text === '') {
    if (base === null || field.default === null) return { ok: true, value: null };
    if (field.optional) return { ok: true, value: undefined };
    return { ok: false, error: 'needs a value' };
  }
  switch (field.type) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { ok: false, error: 'not a number' };
      if (field.type === 'integer' && !Number.isInteger(n)) {
        return { ok: false, error: 'must be a whole number' };
      }
      const range = inRange(field, n);
      return range ? { ok: false, error: `must be ${range}` } : { ok: true, value: n };
    }
    case 'enum':
      return field.options && !field.options.includes(text)
        ? { ok: false, error: `must be one of ${field.options.join(', ')}` }
        : { ok: true, value: text };
    case 'string':
      return { ok: true, value: text };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, error: 'not valid JSON' };
      }
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ChangedConfig {
  /** Only the keys whose value differs from the defaults, nested. */
  config: ConfigObject;
  /** The keys changed, for the summary line. */
  changed: string[];
  /** Error per key; the run must not start while any is set. */
  errors: Record<string, string>;
}

export function changedConfig(
  fields: readonly ConfigField[],
  values: FormValues,
  defaults: Readonly<ConfigObject>,
): ChangedConfig {
  const out: ChangedConfig = { config: {}, changed: [], errors: {} };
  for (const field of fields) {
    const raw = values[field.key];
    if (raw === undefined) continue;
    const base = baseValue(field, defaults);
    const parsed = parseField(field, raw, base);
    if (!parsed.ok) {
      out.errors[field.key] = parsed.error;
      continue;
    }
    // An optional field cleared has no way to say "remove" in a partial config: leave it.
    if (parsed.value === undefined || same(parsed.value, base)) continue;
    setAt(out.config, field.key, parsed.value);
    out.changed.push(field.key);
  }
  return out;
}

/** Groups fields by their first dotted part (`augment`, `landmarkHead`), top level first. */
export function fieldGroups(
  fields: readonly ConfigField[],
): { name: string; fields: ConfigField[] }[] {
  const groups = new Map<string, ConfigField[]>();
  for (const field of fields) {
    const dot = field.key.indexOf('.');
    const name = dot === -1 ? '' : field.key.slice(0, dot);
    const list = groups.get(name) ?? [];
    list.push(field);
    groups.set(name, list);
  }
  const top = groups.get('') ?? [];
  groups.delete('');
  return [
    ...(top.length ? [{ name: '', fields: top }] : []),
    ...[...groups].map(([name, list]) => ({ name, fields: list })),
  ];
}
