/**
 * docs/ARCHITECTURE.md stays true to the tree: every source file it names exists (a move or rename
 * that forgets the document fails here), and the code cites only that document, by a section that
 * exists, never a document outside the repository.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOC = 'docs/ARCHITECTURE.md';
const doc = readFileSync(path.join(ROOT, DOC), 'utf8');

/** Folders of the repository that hold code, tests, benches, studies and scripts. */
const CODE_FOLDERS = ['src-main', 'src-renderer', 'tests', 'bench', 'research', 'scripts'];

function filesUnder(folder: string): string[] {
  const dir = path.join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

const repoFiles = CODE_FOLDERS.flatMap(filesUnder);
const textFiles = [
  ...repoFiles.filter(
    (file) => /\.(ts|svelte|js|mjs|cjs|py|md|ya?ml|sh)$/.test(file) || file === '.ci/run',
  ),
  'README.md',
];

/** `code spans` of the document that name a source file or folder of this repository. */
function namedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!);
  return spans.filter(
    (span) =>
      /\.(ts|py|md|svelte|js)$|\/$/.test(span) &&
      !/[<>*…]/.test(span) &&
      !span.startsWith('.') &&
      !span.startsWith('@') &&
      !span.startsWith('/'),
  );
}

/**
 * A named path exists as given from the root or under src-main/; a bare name exists at the root or
 * anywhere in the code folders.
 */
function exists(name: string): boolean {
  if (existsSync(path.join(ROOT, name))) return true;
  if (!name.includes('/') || (name.endsWith('/') && !name.slice(0, -1).includes('/'))) {
    const base = name.replace(/\/$/, '');
    return repoFiles.some((file) => file.split(path.sep).includes(base));
  }
  return [ROOT, path.join(ROOT, 'src-main')].some((dir) => existsSync(path.join(dir, name)));
}

const SECTIONS = [...doc.matchAll(/^## (.+)$/gm)].map((match) => match[1]!.trim());

describe(DOC, () => {
  it('has the sections that code comments cite', () => {
    expect(SECTIONS).toEqual([
      'Layers and processes',
      'The contract',
      'Data flows',
      'Files on disk',
      'Training recipe',
      'Backends and speed',
      'Formats',
      'Backbones and tasks',
      'Labelling canvas',
      'Testing and benchmarks',
      'Pitfalls',
    ]);
  });

  it('names only files and folders that exist', () => {
    const named = namedPaths(doc);
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter((name) => !exists(name))).toEqual([]);
  });

  it('is the only design document the code cites, by sections it has', () => {
    const outside = /DESIGN §|DESIGN\.md|STYLE §?\d|STYLE\.md|shared\/DESIGN|shared\/STYLE/;
    const self = path.relative(ROOT, import.meta.filename);
    const offending: string[] = [];
    const badSections: string[] = [];
    for (const file of textFiles) {
      if (file === self) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      text.split('\n').forEach((line, index) => {
        if (outside.test(line)) offending.push(`${file}:${index + 1}: ${line.trim()}`);
      });
      // A citation may wrap after the comma, onto the next comment line.
      const flat = text.replace(/\n\s*(\*|\/\/)?\s*/g, ' ');
      for (const match of flat.matchAll(/docs\/ARCHITECTURE\.md,\s*"([^"]+)"/g)) {
        if (!SECTIONS.includes(match[1]!)) badSections.push(`${file}: "${match[1]}"`);
      }
    }
    expect(offending).toEqual([]);
    expect(badSections).toEqual([]);
  });
});
