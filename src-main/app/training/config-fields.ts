/**
 * The advanced form of the Train view, generated from a job's zod config schema rather than
 * written by hand, so a new config key shows up in the form with its comment (`.describe()`),
 * default and bounds. Nested objects become dotted keys (`augment.rotation`); values the form
 * cannot edit as one number, switch or choice (tuples, records) are `json` fields.
 */
import type { z } from 'zod';
import type { ConfigField } from '../../shared/training';

/** What a wrapper adds on the way down to the value schema. */
interface Unwrapped {
  schema: z.ZodType;
  description: string | undefined;
  defaultValue: unknown;
  hasDefault: boolean;
  /** Accepts undefined or null without a default filling it in. */
  optional: boolean;
}

/** A zod 4 schema's definition, as far as this module reads it. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  shape?: Record<string, z.ZodType>;
  checks?: { _zod: { def: CheckDef } }[];
}
interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  format?: string;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def;

/** Past this, an integer bound is zod's "safe integer" limit, not a real bound. */
const UNBOUNDED = 2 ** 52;

function unwrap(schema: z.ZodType): Unwrapped {
  let current = schema;
  let description = schema.description;
  let defaultValue: unknown;
  let hasDefault = false;
  let optional = false;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'default' || def.type === 'prefault') {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = def.defaultValue;
      }
    } else if (def.type === 'optional' || def.type === 'nullable') {
      optional = true;
    } else {
      break;
    }
    current = def.innerType!;
    description ??= current.description;
  }
  return { schema: current, description, defaultValue, hasDefault, optional };
}

function numberBounds(schema: z.ZodType): {
  integer: boolean;
  min?: number;
  max?: number;
} {
  let integer = false;
  let min: number | undefined;
  let max: number | undefined;
  for (const check of defOf(schema).checks ?? []) {
    const def = check._zod.def;
    if (def.check === 'number_format' && def.format && /int/.test(def.format)) integer = true;
  }
  for (const check of defOf(schema).checks ?? []) {
    const { check: kind, value, inclusive } = check._zod.def;
    if (value === undefined || !Number.isFinite(value) || Math.abs(value) >= UNBOUNDED) continue;
    // An exclusive bound is exact only for integers (> 0 is ≥ 1); for reals the form shows the
    // inclusive neighbour it cannot express, so it leaves that bound to the server's check.
    if (kind === 'greater_than') {
      if (inclusive) min = value;
      else if (integer) min = value + 1;
    } else if (kind === 'less_than') {
      if (inclusive) max = value;
      else if (integer) max = value - 1;
    }
  }
  return { integer, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/**
 * The fields of an object schema, depth first in declaration order. `skip` names dotted keys the
 * caller sets itself (e.g. `checkpointDir`, `task`); `inherited` is the default of the enclosing
 * object, which fills a child's default when the child declares none.
 */
export function configFields(
  schema: z.ZodType,
  skip: readonly string[] = [],
  prefix = '',
  inherited: Record<string, unknown> | undefined = undefined,
): ConfigField[] {
  const object = unwrap(schema);
  const shape = defOf(object.schema).shape;
  if (!shape)
    throw new Error(`configFields needs an object schema${prefix ? ` at ${prefix}` : ''}`);
  const fields: ConfigField[] = [];
  for (const [name, child] of Object.entries(shape)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (skip.includes(key)) continue;
    const field = unwrap(child);
    const inner = defOf(field.schema);
    const fallback = inherited?.[name];
    const defaultValue = field.hasDefault ? field.defaultValue : fallback;
    if (inner.type === 'object') {
      const objectDefault =
        typeof defaultValue === 'object' && defaultValue !== null
          ? (defaultValue as Record<string, unknown>)
          : undefined;
      fields.push(...configFields(child, skip, key, objectDefault));
      continue;
    }
    const base = {
      key,
      help: field.description ?? '',
      default: defaultValue ?? null,
      optional: field.optional,
    };
    if (inner.type === 'number') {
      const { integer, ...bounds } = numberBounds(field.schema);
      fields.push({ ...base, type: integer ? 'integer' : 'number', ...bounds });
    } else if (inner.type === 'boolean') {
      fields.push({ ...base, type: 'boolean' });
    } else if (inner.type === 'enum') {
      const options = (field.schema as unknown as { options: unknown[] }).options.map(String);
      fields.push({ ...base, type: 'enum', options });
    } else if (inner.type === 'string') {
      fields.push({ ...base, type: 'string' });
    } else {
      fields.push({ ...base, type: 'json' });
    }
  }
  return fields;
}
