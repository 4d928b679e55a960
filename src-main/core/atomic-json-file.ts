/**
 * A lowdb adapter for one JSON file of the project: reads parse and validate against a zod schema,
 * writes go through writeFileAtomic. A file that is corrupt (not JSON) or invalid (fails the
 * schema) gives a StudioError naming the file and the problem; this adapter never writes over it
 * on its own, so the user's bytes stay as they were for repair or recovery.
 *
 * Use it with `new Low(adapter, defaults)`, not lowdb's JSONFilePreset, which keeps data in
 * memory only when NODE_ENV=test (docs/ARCHITECTURE.md, "Pitfalls").
 */
import { isAscii } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import type { z } from 'zod';
import { StudioError } from '../shared/errors';
import { writeFileAtomic } from './atomic-write';
import { serialiseByLine } from './json-layout';

export interface AtomicJsonFileOptions<T> {
  /** Turns the data into the file's bytes; defaults to the one-item-per-line layout. */
  serialise?: (data: T) => string | Uint8Array;
}

export class AtomicJsonFile<T extends object> implements Adapter<T> {
  readonly file: string;
  private readonly schema: z.ZodType<T>;
  private readonly serialise: (data: T) => string | Uint8Array;

  constructor(file: string, schema: z.ZodType<T>, options: AtomicJsonFileOptions<T> = {}) {
    this.file = file;
    this.schema = schema;
    this.serialise =
      options.serialise ?? ((data) => serialiseByLine(data as Record<string, unknown>));
  }

  /** The validated content, or null when the file does not exist (lowdb then keeps defaults). */
  async read(): Promise<T | null> {
    const raw = await readJsonFile(this.file);
    return raw === undefined ? null : this.validate(raw);
  }

  /** Validates already-parsed content, e.g. after a migration, with the same named errors. */
  validate(raw: unknown): T {
    const result = this.schema.safeParse(raw);
    if (!result.success) {
      throw new StudioError('io', `${this.file} is invalid: ${describeIssues(result.error)}`);
    }
    return result.data;
  }

  async write(data: T): Promise<void> {
    await writeFileAtomic(this.file, this.serialise(data));
  }
}

/**
 * Reads and parses a JSON file. Resolves to undefined when the file does not exist; a file that
 * cannot be read or is not JSON gives a StudioError naming it.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    // Whole, then decoded once: reading with an encoding decodes chunk by chunk, which took a
    // quarter of the read of a 28 MB project.json. ASCII (the usual index) decodes as latin1, a
    // third faster than UTF-8 and the same text.
    const bytes = await readFile(file);
    text = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const reason = code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message;
    throw new StudioError('io', `Cannot read ${file}: ${reason}`, { cause: error });
  }
  return parseJsonText(file, text);
}

/** Parses a JSON file's text; an empty or invalid text gives a StudioError naming the file. */
export function parseJsonText(file: string, text: string): unknown {
  if (text.trim() === '') {
    throw new StudioError('io', `${file} is corrupt: the file is empty`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StudioError(
      'io',
      `${file} is corrupt: not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** The first few schema problems as `path: message`, so the user can find them in the file. */
export function describeIssues(error: z.ZodError, limit = 3): string {
  const shown = error.issues.slice(0, limit).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}
