import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFields } from '../../../src-main/app/training/config-fields';
import { oneClickFinetuneConfig } from '../../../src-main/app/training/one-click-config';
import {
  finetuneConfigSchema,
  parseFinetuneConfig,
} from '../../../src-main/engine/finetune/finetune-config';
import {
  parsePretrainConfig,
  pretrainConfigSchema,
} from '../../../src-main/engine/pretrain/pretrain-config';
import { ConfigField } from '../../../src-main/shared/training';

/** The nested config the form's defaults make (what the Advanced form starts from). */
function fromDefaults(fields: ConfigField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.default === null) continue;
    const parts = field.key.split('.');
    let at = out;
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = field.default;
  }
  return out;
}

describe('configFields', () => {
  it('turns every field of both job configs into a described form field', () => {
    for (const fields of [
      configFields(pretrainConfigSchema, ['checkpointDir']),
      configFields(finetuneConfigSchema, ['checkpointDir', 'task']),
    ]) {
      for (const field of fields) {
        expect(ConfigField.parse(field)).toEqual(field);
        expect(field.help, field.key).not.toBe('');
      }
      expect(fields.map((f) => f.key)).not.toContain('checkpointDir');
    }
  });

  it("names, in headLr's help, the rate for each recipe: the schema's default and one-click's", () => {
    const fields = configFields(finetuneConfigSchema, ['checkpointDir', 'task']);
    const headLr = fields.find((f) => f.key === 'headLr')!;
    const oneClick = oneClickFinetuneConfig('landmarks', {
      pretrainImages: 0,
      labelledTrainFaces: 100,
    });
    const exponent = (value: unknown) => (value as number).toExponential(0);
    // The form shows one-click's value under this help: the help must say it is the right one
    // for a frozen backbone, and name the default for a backbone that trains.
    expect(oneClick.trainableBlocks).toBe(0);
    expect(headLr.help).toContain(`${exponent(oneClick.headLr)}, the measured best`);
    expect(headLr.help).toContain(`(${exponent(headLr.default)} here)`);
    expect(headLr.help).toMatch(/frozen backbone \(`trainableBlocks` 0/);
  });

  it('flattens nested objects to dotted keys with their bounds, options and defaults', () => {
    const fields = configFields(finetuneConfigSchema, ['checkpointDir']);
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(byKey['augment.rotation']).toMatchObject({
      type: 'number',
      min: 0,
      max: 180,
      default: 20,
    });
    expect(byKey['augment.scale']).toMatchObject({ type: 'json', default: [0.9, 1.1] });
    expect(byKey['landmarkHead.meanShapePrior']).toMatchObject({ type: 'boolean', default: true });
    expect(byKey['model.preset']).toMatchObject({
      type: 'enum',
      options: ['tiny', 'small', 'base'],
      default: 'tiny',
      optional: false,
    });
    expect(byKey['model.depth']).toMatchObject({
      type: 'integer',
      min: 1,
      optional: true,
      default: null,
    });
    // positive() on an integer is ≥ 1; on a real number the exclusive 0 cannot be a form minimum.
    expect(byKey.epochs).toMatchObject({ type: 'integer', min: 1 });
    expect(byKey.headLr).toMatchObject({ type: 'number', default: 1e-3 });
    expect(byKey.headLr!.min).toBeUndefined();
    expect(byKey.layerDecay).toMatchObject({ max: 1 });
    // The "safe integer" limit zod adds to int() is not a bound a person should see.
    expect(byKey.seed!.max).toBeUndefined();
    expect(byKey.trainableBlocks).toMatchObject({ type: 'integer', optional: true, default: null });
    expect(byKey.task).toMatchObject({ type: 'enum', optional: false });

    const pretrain = Object.fromEntries(configFields(pretrainConfigSchema).map((f) => [f.key, f]));
    expect(pretrain.localCrops).toMatchObject({ type: 'integer', min: 0, max: 12, default: 6 });
    expect(pretrain.workers).toMatchObject({ min: 1, max: 16 });
    expect(pretrain.lr!.help).toMatch(/Peak learning rate per 256 images/);
  });

  it("gives defaults that are the schemas' own defaults", () => {
    const pretrain = configFields(pretrainConfigSchema, ['checkpointDir']);
    expect(parsePretrainConfig(fromDefaults(pretrain))).toEqual(parsePretrainConfig({}));
    const finetune = configFields(finetuneConfigSchema, ['checkpointDir']);
    const config = { ...fromDefaults(finetune), task: 'landmarks' };
    expect(parseFinetuneConfig(config)).toEqual(parseFinetuneConfig({ task: 'landmarks' }));
  });

  it('takes a child default from its parent object when the child has none', () => {
    const schema = z.object({
      inner: z
        .object({ a: z.number().describe('A.'), b: z.string().optional().describe('B.') })
        .default({ a: 3 })
        .describe('Inner.'),
    });
    expect(configFields(schema)).toEqual([
      { key: 'inner.a', type: 'number', help: 'A.', default: 3, optional: false },
      { key: 'inner.b', type: 'string', help: 'B.', default: null, optional: true },
    ]);
  });
});

describe('the Advanced form on a backbone-head config', () => {
  it('offers the method and the face backbones, and round-trips the one-click defaults', () => {
    const fields = configFields(finetuneConfigSchema, ['checkpointDir', 'task']);
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(byKey.method).toMatchObject({
      type: 'enum',
      options: ['backbone-head', 'gradient'],
      default: 'gradient',
    });
    expect(byKey.faceBackbones).toMatchObject({ type: 'json', default: null, optional: true });
    // Every field the form shows, set to the one-click landmarks defaults, parses back to them.
    const defaults = oneClickFinetuneConfig('landmarks', {
      pretrainImages: 0,
      labelledTrainFaces: 40,
    });
    const rebuilt: Record<string, unknown> = { task: 'landmarks' };
    for (const field of fields) {
      const parts = field.key.split('.');
      let from: unknown = defaults;
      for (const part of parts) from = (from as Record<string, unknown>)[part];
      if (from === undefined) continue;
      let at = rebuilt;
      for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
      at[parts.at(-1)!] = from;
    }
    expect(parseFinetuneConfig(rebuilt)).toEqual(defaults);
  });
});
