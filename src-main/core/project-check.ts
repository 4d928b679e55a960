/**
 * project.checked.json: a derived note that the image records of project.json, as last written by
 * this studio, passed the fast record checks (record-fast-check.ts), so an open under the lock
 * may skip checking each of them again (docs/ARCHITECTURE.md, "Files on disk"). Checking 100,000
 * records cost about a tenth of opening a 100,000-image project.
 *
 * Every write of project.json by the store writes this note after it, with project.json's
 * identity (device, inode, size, modification time: stable-read.ts's `identityOf`) stat'd after
 * the rename, when every record written passes the checks. An open trusts it only when
 * project.json's identity now is that one: any other write (an older studio, a hand edit, a copy,
 * a kill between the two writes) changes the identity, and the records are checked as before. The
 * note never decides what a record holds; the rest of project.json is checked as always.
 */
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import { identityOf } from './stable-read';

export const PROJECT_CHECK_FILE = 'project.checked.json';
const FORMAT = 1;

/**
 * Writes the note for project.json as it was read at open (`identity`), whose records all passed
 * the fast checks, unless project.json was written since (its own write wrote the note then).
 */
export async function vouchForRecords(file: string, identity: string): Promise<void> {
  if (identityOf(await stat(file, { bigint: true })) !== identity) return;
  await writeNote(file, identity);
}

/** Writes the note for project.json just written by the store (project-file.ts), as `identity`. */
export function writeNote(file: string, identity: string): Promise<void> {
  return writeFileAtomic(
    path.join(path.dirname(file), PROJECT_CHECK_FILE),
    `${JSON.stringify({ format: FORMAT, projectIdentity: identity })}\n`,
  );
}

/** Whether project.checked.json vouches for project.json as it is now (`identity`). */
export async function recordsVouched(root: string, identity: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path.join(root, PROJECT_CHECK_FILE), 'utf8');
  } catch {
    return false;
  }
  try {
    const note = JSON.parse(text) as { format?: unknown; projectIdentity?: unknown } | null;
    return note?.format === FORMAT && note.projectIdentity === identity;
  } catch {
    return false;
  }
}
