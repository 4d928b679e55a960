import { describe, expect, it } from 'vitest';
import {
  BUILTIN_ATTRIBUTE_SCHEMAS,
  builtinAttributeSchema,
} from '../../../src-main/core/schemas/builtin';

describe('builtinAttributeSchema', () => {
  it.each(['nope', 'toString', 'constructor'])('refuses "%s", naming it', (id) => {
    expect(() => builtinAttributeSchema(id)).toThrow(
      expect.objectContaining({ code: 'not-found', message: `No built-in attribute set "${id}"` }),
    );
  });

  it('gives one parsed set per id, the same object each time', () => {
    const first = builtinAttributeSchema('mtfl');
    expect(first.id).toBe('mtfl');
    expect(builtinAttributeSchema('mtfl')).toBe(first);
  });

  it.each(BUILTIN_ATTRIBUTE_SCHEMAS)('parses the shipped set "%s" without a problem', (id) => {
    expect(builtinAttributeSchema(id).id).toBe(id);
  });
});
