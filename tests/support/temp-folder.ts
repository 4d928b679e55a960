/**
 * A fresh folder under the system's temp folder for one test, removed when that test finishes,
 * passed or failed: tests that made their folders by hand and never removed them left hundreds
 * in /tmp over a day's runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** Makes `<tmp>/<prefix>XXXXXX` and has it removed once the running test ends. */
export async function tempFolder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
