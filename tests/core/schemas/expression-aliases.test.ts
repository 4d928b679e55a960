/**
 * The expression alias table: FER-2013's and CK+'s folder names map onto the classes of the
 * built-in sets, in any case; a name of no group, or of a group the set does not list, maps to
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { builtinAttributeSchema } from '../../../src-main/core/schemas/builtin';
import {
  EXPRESSION_ALIASES,
  expressionClass,
} from '../../../src-main/core/schemas/expression-aliases';

const FER7 = builtinAttributeSchema('fer7').expressions!;
const CKPLUS7 = builtinAttributeSchema('ckplus7').expressions!;

describe('expressionClass', () => {
  it("maps FER-2013's folder names onto fer7", () => {
    const fer = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
    expect(fer.map((name) => expressionClass(name, FER7))).toEqual(FER7);
  });

  it("maps CK+'s folder names, either spelling, onto ckplus7", () => {
    const ck = ['anger', 'contempt', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'];
    expect(ck.map((name) => expressionClass(name, CKPLUS7))).toEqual(CKPLUS7);
    expect(expressionClass('happy', CKPLUS7)).toBe('happy');
    expect(expressionClass('sad', CKPLUS7)).toBe('sadness');
  });

  it('ignores case and - or space for _', () => {
    expect(expressionClass('Angry', FER7)).toBe('anger');
    expect(expressionClass('SURPRISED', FER7)).toBe('surprise');
    expect(expressionClass('Happy', ['happy_face', 'sad'])).toBe(undefined);
    expect(expressionClass('Happy-Face', ['happy_face', 'sad'])).toBe('happy_face');
  });

  it('maps to a listed class of the same group whichever name the set uses', () => {
    expect(expressionClass('anger', ['angry', 'calm'])).toBe('angry');
  });

  it('maps a name of no group, or a class the set lacks, to nothing', () => {
    expect(expressionClass('sleepy', FER7)).toBe(undefined);
    // fer7 has no contempt.
    expect(expressionClass('contempt', FER7)).toBe(undefined);
  });

  it('puts each name in one group only', () => {
    const names = EXPRESSION_ALIASES.flat();
    expect(new Set(names).size).toBe(names.length);
  });
});
