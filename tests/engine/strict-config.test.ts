import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../src-main/shared/errors';
import { parseStrictConfig } from '../../src-main/engine/strict-config';

const schema = z
  .object({
    steps: z.number().int().default(10),
    model: z.object({ depth: z.number().int() }).strict().default({ depth: 2 }),
  })
  .strict();

describe('strict config parsing', () => {
  it('fills the defaults, nothing counting as an empty config', () => {
    expect(parseStrictConfig(schema, undefined, 'test config')).toEqual({
      steps: 10,
      model: { depth: 2 },
    });
    expect(parseStrictConfig(schema, { steps: 3 }, 'test config').steps).toBe(3);
  });

  it('fails once, as invalid-payload, naming the config and every bad key', () => {
    let error: unknown;
    try {
      parseStrictConfig(schema, { stpes: 1, model: { depth: 'deep' } }, 'test config');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).code).toBe('invalid-payload');
    expect((error as StudioError).message).toMatch(/^Invalid test config — /);
    expect((error as StudioError).message).toContain('model.depth: ');
    expect((error as StudioError).message).toContain('stpes: ');
  });
});
