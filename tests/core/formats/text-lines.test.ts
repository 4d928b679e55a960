import { describe, expect, it } from 'vitest';
import {
  fields,
  formatNumber,
  parseFiniteNumber,
  splitLines,
  stripBom,
} from '../../../src-main/core/formats/text-lines';

describe('text lines', () => {
  it('drops a byte-order mark at the start only', () => {
    expect(stripBom('\ufeffa b')).toBe('a b');
    expect(stripBom('a\ufeffb')).toBe('a\ufeffb');
    expect(stripBom('')).toBe('');
  });

  it('splits on LF, CRLF and CR alike, numbering lines from 1', () => {
    expect(splitLines('\ufeffa\r\nb\nc\rd')).toEqual([
      { number: 1, text: 'a' },
      { number: 2, text: 'b' },
      { number: 3, text: 'c' },
      { number: 4, text: 'd' },
    ]);
  });

  it('drops only the one empty line after the last newline', () => {
    expect(splitLines('a\n')).toEqual([{ number: 1, text: 'a' }]);
    expect(splitLines('a\n\n')).toEqual([
      { number: 1, text: 'a' },
      { number: 2, text: '' },
    ]);
    expect(splitLines('a')).toEqual([{ number: 1, text: 'a' }]);
    expect(splitLines('\nb')).toEqual([
      { number: 1, text: '' },
      { number: 2, text: 'b' },
    ]);
    expect(splitLines('')).toEqual([]);
  });

  it('splits fields on runs of spaces and tabs; a blank line has none', () => {
    expect(fields('  a \t b  c\t')).toEqual(['a', 'b', 'c']);
    expect(fields(' \t ')).toEqual([]);
    expect(fields('')).toEqual([]);
  });

  it('reads decimal numbers, signs and exponents', () => {
    const read = ['0', '-12', '+3.5', '7.', '.25', '-.5', '1e3', '2.5E-2', '1e+2'];
    expect(read.map(parseFiniteNumber)).toEqual([0, -12, 3.5, 7, 0.25, -0.5, 1000, 0.025, 100]);
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '0x10',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '.',
    '1e',
    'e5',
    '1..2',
    '--1',
    '1,5',
  ])('refuses %j', (text) => {
    expect(parseFiniteNumber(text)).toBeNull();
  });

  it('writes at most six decimals, without float noise or trailing zeros', () => {
    expect(formatNumber(80.97500000000001)).toBe('80.975');
    expect(formatNumber(1 / 3)).toBe('0.333333');
    expect(formatNumber(2.0000004)).toBe('2');
    expect(formatNumber(-0.0000016)).toBe('-0.000002');
    expect(formatNumber(12)).toBe('12');
  });
});
