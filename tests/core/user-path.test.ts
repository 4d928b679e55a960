/** Folder paths typed into the studio: `~` expanded, relative paths refused with what to type. */
import { describe, expect, it } from 'vitest';
import { absoluteFolder, expandHome } from '../../src-main/core/user-path';

describe('expandHome', () => {
  it('expands ~ and ~/x only', () => {
    expect(expandHome('~', '/home/ann')).toBe('/home/ann');
    expect(expandHome('~/faces', '/home/ann')).toBe('/home/ann/faces');
    expect(expandHome('~bob/faces', '/home/ann')).toBe('~bob/faces');
    expect(expandHome('/data/~/x', '/home/ann')).toBe('/data/~/x');
  });
});

describe('absoluteFolder', () => {
  it('returns absolute folders normalised, with ~ expanded', () => {
    expect(absoluteFolder('~/faces/../sets', 'The folder', '/home/ann')).toBe('/home/ann/sets');
    expect(absoluteFolder('/data//helen/', 'The folder', '/home/ann')).toBe('/data/helen/');
  });

  it('refuses relative paths and ~name, saying what to type', () => {
    expect(() => absoluteFolder('faces', 'The project folder', '/home/ann')).toThrow(
      'The project folder "faces" is a relative path: use an absolute path, e.g. /home/ann/faces (~ is expanded)',
    );
    expect(() => absoluteFolder('~bob/x', 'The folder', '/home/ann')).toThrow(
      'The folder "~bob/x" starts with ~name: only ~ (your own home folder) is expanded',
    );
  });
});
