import { describe, expect, it } from 'vitest';
import type { ConfigField } from '$shared/training';
import {
  changedConfig,
  fieldGroups,
  initialValues,
  parseField,
  setAt,
  valueAt,
  visibleFields,
} from '../../../src-renderer/src/features/train/config-form';

/** Fields as `training:configSchema` sends them for fine-tuning (a subset). */
const FIELDS: ConfigField[] = [
  {
    key: 'task',
    type: 'enum',
    help: 'What the head predicts',
    default: null,
    optional: false,
    options: ['landmarks', 'attributes', 'expression'],
  },
  {
    key: 'model.preset',
    type: 'enum',
    help: 'Preset',
    default: 'tiny',
    optional: false,
    options: ['tiny', 'small', 'base'],
  },
  { key: 'model.depth', type: 'integer', help: 'Blocks', default: null, optional: true, min: 1 },
  {
    key: 'epochs',
    type: 'integer',
    help: 'Passes over the training split',
    default: 60,
    optional: false,
    min: 1,
  },
  {
    key: 'headLr',
    type: 'number',
    help: 'Peak learning rate of the head',
    default: 0.001,
    optional: false,
  },
  {
    key: 'layerDecay',
    type: 'number',
    help: 'Layer-wise decay',
    default: 0.75,
    optional: false,
    max: 1,
  },
  {
    key: 'trainableBlocks',
    type: 'integer',
    help: 'Blocks trained; empty = all',
    default: null,
    optional: true,
    min: 0,
  },
  {
    key: 'augment.rotation',
    type: 'number',
    help: 'Rotation ± degrees',
    default: 20,
    optional: false,
    min: 0,
    max: 180,
  },
  { key: 'augment.scale', type: 'json', help: 'Zoom range', default: [0.9, 1.1], optional: false },
  {
    key: 'cacheBackboneTokens',
    type: 'boolean',
    help: 'Cache tokens',
    default: false,
    optional: false,
  },
  { key: 'checkpointDir', type: 'string', help: 'Checkpoints', default: null, optional: true },
];

/** The one-click defaults, nested as main sends them (they differ from the schema's own). */
const DEFAULTS = {
  task: 'landmarks',
  model: { preset: 'tiny' },
  epochs: 50,
  headLr: 0.01,
  layerDecay: 0.75,
  trainableBlocks: 0,
  augment: { flip: 0.5, rotation: 0, scale: [1, 1], shift: 0, colour: 0 },
  cacheBackboneTokens: true,
};

const visible = visibleFields(FIELDS);

describe('the form fields', () => {
  it('hides the task, the checkpoint folder and the preset (picked elsewhere)', () => {
    const keys = visible.map((f) => f.key);
    expect(keys).not.toContain('task');
    expect(keys).not.toContain('checkpointDir');
    expect(keys).not.toContain('model.preset');
    expect(keys).toContain('augment.rotation');
  });

  it('starts every input at the one-click default, else the schema default', () => {
    const values = initialValues(visible, DEFAULTS);
    expect(values.epochs).toBe('50');
    expect(values.headLr).toBe('0.01');
    expect(values['augment.rotation']).toBe('0');
    expect(values['augment.scale']).toBe('[1,1]');
    expect(values.cacheBackboneTokens).toBe(true);
    expect(values.trainableBlocks).toBe('0');
    // Not in the defaults: the schema's own (none) shows as empty.
    expect(values['model.depth']).toBe('');
  });

  it('groups dotted keys under their first part, top-level keys first', () => {
    const groups = fieldGroups(visible);
    expect(groups.map((g) => g.name)).toEqual(['', 'model', 'augment']);
    expect(groups[2]!.fields.map((f) => f.key)).toEqual(['augment.rotation', 'augment.scale']);
  });
});

describe('parseField', () => {
  const field = (key: string) => FIELDS.find((f) => f.key === key)!;

  it('reads numbers and checks whole numbers and ranges', () => {
    expect(parseField(field('headLr'), ' 3e-3 ', 0.01)).toEqual({ ok: true, value: 0.003 });
    expect(parseField(field('epochs'), '2.5', 50)).toEqual({
      ok: false,
      error: 'must be a whole number',
    });
    expect(parseField(field('epochs'), '0', 50)).toEqual({
      ok: false,
      error: 'must be at least 1',
    });
    expect(parseField(field('layerDecay'), '1.5', 0.75)).toEqual({
      ok: false,
      error: 'must be at most 1',
    });
    expect(parseField(field('headLr'), 'fast', 0.01)).toEqual({ ok: false, error: 'not a number' });
  });

  it('reads empty text as null where the default is null, as absent where optional', () => {
    expect(parseField(field('trainableBlocks'), '', null)).toEqual({ ok: true, value: null });
    const noDefault = { ...field('model.depth'), default: undefined };
    expect(parseField(noDefault, '', undefined)).toEqual({ ok: true, value: undefined });
    expect(parseField(field('epochs'), '', 50)).toEqual({ ok: false, error: 'needs a value' });
  });

  it('reads JSON and enum choices', () => {
    expect(parseField(field('augment.scale'), '[0.8, 1.2]', [1, 1])).toEqual({
      ok: true,
      value: [0.8, 1.2],
    });
    expect(parseField(field('augment.scale'), '[0.8,', [1, 1])).toEqual({
      ok: false,
      error: 'not valid JSON',
    });
    expect(parseField(field('model.preset'), 'huge', 'tiny').ok).toBe(false);
  });
});

describe('changedConfig', () => {
  it('sends nothing when nothing changed', () => {
    const values = initialValues(visible, DEFAULTS);
    expect(changedConfig(visible, values, DEFAULTS)).toEqual({
      config: {},
      changed: [],
      errors: {},
    });
  });

  it('sends only the changed keys, nested as the engine reads them', () => {
    const values = {
      ...initialValues(visible, DEFAULTS),
      epochs: '12',
      'augment.rotation': '10',
      cacheBackboneTokens: false,
      // The same value written differently is not a change.
      headLr: '1e-2',
    };
    const result = changedConfig(visible, values, DEFAULTS);
    expect(result.config).toEqual({
      epochs: 12,
      augment: { rotation: 10 },
      cacheBackboneTokens: false,
    });
    expect(result.changed).toEqual(['epochs', 'augment.rotation', 'cacheBackboneTokens']);
    expect(result.errors).toEqual({});
  });

  it('reports each bad input by key and leaves it out', () => {
    const values = { ...initialValues(visible, DEFAULTS), epochs: 'many', headLr: '0.02' };
    const result = changedConfig(visible, values, DEFAULTS);
    expect(result.errors).toEqual({ epochs: 'not a number' });
    expect(result.config).toEqual({ headLr: 0.02 });
  });

  it('clears a nullable setting back to null (all blocks train)', () => {
    const values = { ...initialValues(visible, DEFAULTS), trainableBlocks: '' };
    expect(changedConfig(visible, values, DEFAULTS).config).toEqual({ trainableBlocks: null });
  });
});

describe('dotted keys', () => {
  it('reads flat or nested, and writes nested', () => {
    expect(valueAt({ 'augment.flip': 0.2 }, 'augment.flip')).toBe(0.2);
    expect(valueAt({ augment: { flip: 0.3 } }, 'augment.flip')).toBe(0.3);
    expect(valueAt({ augment: 1 }, 'augment.flip')).toBeUndefined();
    const out: Record<string, unknown> = { augment: { flip: 0.5 } };
    setAt(out, 'augment.rotation', 5);
    setAt(out, 'landmarkHead.temperature', 2);
    expect(out).toEqual({ augment: { flip: 0.5, rotation: 5 }, landmarkHead: { temperature: 2 } });
  });
});
