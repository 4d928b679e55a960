/**
 * Which taps each head of an attributes or expression model reads (head-tap-selection.ts): the
 * rule per task kind on the shipped backbones' descriptions, the columns a subset of taps takes,
 * the zero-weight widening the exported graph uses, and the card's record of it.
 */
import { describe, expect, it } from 'vitest';
import {
  headReads,
  headTapSelection,
  readsEverything,
  tapColumns,
  widenColumns,
  type SelectableBackbone,
} from '../../../src-main/engine/attributes/head-tap-selection';

const AGE_GENDER: SelectableBackbone = {
  id: 'face-api-age-gender',
  kind: 'appearance',
  taps: [
    { name: 'pooled', kind: 'vector' },
    { name: 'gender', kind: 'vector' },
    { name: 'map', kind: 'map' },
  ],
};
const XCEPTION: SelectableBackbone = {
  id: 'mini-xception',
  kind: 'appearance',
  taps: [
    { name: 'pooled', kind: 'vector' },
    { name: 'map', kind: 'map' },
  ],
};
const MESH: SelectableBackbone = {
  id: 'facemesh',
  kind: 'geometry',
  taps: [
    { name: 'mesh', kind: 'points' },
    { name: 'p_re_lu_15', kind: 'map' },
  ],
};
const CLASSIFY: Record<string, string[]> = {
  'face-api-age-gender': ['pooled', 'gender'],
  'mini-xception': ['pooled'],
  facemesh: ['mesh', 'p_re_lu_15'],
};
const classify = (b: SelectableBackbone) => CLASSIFY[b.id]!;
const tap = (backbone: string, name: string) => ({ backbone, tap: name });

describe('headTapSelection', () => {
  it('attributes on appearance and geometry: yes/no on appearance, the points embedded for the groups, the maps not at all', () => {
    const s = headTapSelection('attributes', [AGE_GENDER, XCEPTION, MESH], classify);
    expect(s.classifier).toEqual([
      tap('face-api-age-gender', 'pooled'),
      tap('face-api-age-gender', 'gender'),
      tap('mini-xception', 'pooled'),
    ]);
    expect(s.taps).toEqual([...s.classifier, tap('facemesh', 'mesh')]);
  });

  it('expression reads every classify tap; attributes without points or without appearance too', () => {
    const everything = [
      tap('mini-xception', 'pooled'),
      tap('facemesh', 'mesh'),
      tap('facemesh', 'p_re_lu_15'),
    ];
    expect(headTapSelection('expression', [XCEPTION, MESH], classify)).toEqual({
      taps: everything,
      classifier: everything,
    });
    const meshOnly = headTapSelection('attributes', [MESH], classify);
    expect(meshOnly.classifier).toEqual(meshOnly.taps);
    expect(meshOnly.taps).toHaveLength(2);
    const appearance = headTapSelection('attributes', [AGE_GENDER, XCEPTION], classify);
    expect(appearance.classifier).toEqual(appearance.taps);
    expect(appearance.taps).toHaveLength(3);
  });
});

describe('tapColumns and widenColumns', () => {
  const taps = [tap('a', 'x'), tap('b', 'y'), tap('c', 'z')];
  const sizes = [2, 3, 1];

  it('gives a subset’s columns, in order, and refuses a tap that is not there or out of order', () => {
    expect(tapColumns(taps, sizes, [tap('a', 'x'), tap('c', 'z')])).toEqual([0, 1, 5]);
    expect(tapColumns(taps, sizes, [tap('b', 'y')])).toEqual([2, 3, 4]);
    expect(() => tapColumns(taps, sizes, [tap('c', 'z'), tap('a', 'x')])).toThrow(
      /Tap a\/x is not one of \[a\/x, b\/y, c\/z\] in their order/,
    );
    expect(() => tapColumns(taps, sizes, [tap('d', 'w')])).toThrow(/Tap d\/w/);
  });

  it('puts each read column’s weights in its row and zeros elsewhere', () => {
    // 2 read columns (1 and 3 of 4) × 2 outputs.
    const wide = widenColumns(Float64Array.from([1, 2, 3, 4]), 2, [1, 3], 4);
    expect(Array.from(wide)).toEqual([0, 0, 1, 2, 0, 0, 3, 4]);
    expect(() => widenColumns(new Float64Array(3), 2, [1, 3], 4)).toThrow(/3 weights/);
    expect(() => widenColumns(new Float64Array(4), 2, [1, 4], 4)).toThrow(/Column 4/);
  });
});

describe('headReads', () => {
  const taps = [tap('a', 'x'), tap('b', 'y'), tap('c', 'z')];
  const sizes = [2, 3, 1];

  it('names each head’s taps, a group from its columns', () => {
    const reads = headReads(
      taps,
      sizes,
      [tap('a', 'x')],
      [
        { name: 'pose', columns: [2, 3, 4] },
        { name: 'all', columns: null },
      ],
    );
    expect(reads).toEqual({
      classifier: ['a/x'],
      groups: [
        { name: 'pose', taps: ['b/y'] },
        { name: 'all', taps: ['a/x', 'b/y', 'c/z'] },
      ],
    });
    expect(readsEverything(reads, taps)).toBe(false);
    expect(
      readsEverything(headReads(taps, sizes, taps, [{ name: 'all', columns: null }]), taps),
    ).toBe(true);
  });

  it('refuses a group that reads part of a tap, or none', () => {
    expect(() => headReads(taps, sizes, taps, [{ name: 'pose', columns: [2, 3] }])).toThrow(
      /Group pose reads 2 of the 3 values of tap b\/y/,
    );
    expect(() => headReads(taps, sizes, taps, [{ name: 'pose', columns: [] }])).toThrow(
      /reads none/,
    );
  });
});
