import { describe, expect, it } from 'vitest';
import {
  parseCelebaAttributes,
  serialiseCelebaAttributes,
} from '../../../src-main/core/formats/celeba';
import type { LabelledSet } from '../../../src-main/core/formats/model';
import { builtinAttributeSchema } from '../../../src-main/core/schemas/builtin';

/** A deterministic pseudo-random set (no CelebA files here): 200 images × 40 attributes. */
function syntheticSet(names: readonly string[]): LabelledSet {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: 200 }, (_, i) => ({
    file: `${String(i + 1).padStart(6, '0')}.jpg`,
    faces: [{ points: [], attributes: Object.fromEntries(names.map((n) => [n, next() < 0.5])) }],
  }));
}

describe('CelebA attribute lists', () => {
  const names = builtinAttributeSchema('celeba40').attributes.map((a) => a.name);

  it('gives back every attribute of its own export, in the 40 standard names', () => {
    const set = syntheticSet(names);
    const text = serialiseCelebaAttributes(set, names);
    expect(text.split('\n')[0]).toBe('200');
    const back = parseCelebaAttributes(text, 'list_attr_celeba.txt', { attributeNames: names });
    expect(back.attributeNames).toEqual(names);
    expect(back.set).toEqual(set);
  });

  it('refuses a list whose names differ from the set, naming the line', () => {
    const text = serialiseCelebaAttributes(syntheticSet(names.slice(0, 39)), names.slice(0, 39));
    expect(() => parseCelebaAttributes(text, 'short.txt', { attributeNames: names })).toThrow(
      /short\.txt:2: attribute names differ from the set's 40 \(missing Young\)/,
    );
  });
});
