/**
 * Folder paths typed by a person. Shells expand `~`, but a path typed into the studio's folder
 * fields (or written as `--project=~/faces`, which shells leave alone) reaches the studio with the
 * `~` still in it, and Node takes it for a folder named "~" in the working directory. So `~` and
 * `~/…` are expanded to the home folder here. The studio (Electron main, the browser bridge) has
 * no working directory that means anything to its user, so it also refuses relative paths with a
 * message saying what to type instead; the command line resolves them against the shell's
 * folder, as every command-line tool does.
 */
import os from 'node:os';
import path from 'node:path';
import { StudioError } from '../shared/errors';

const HOME_PREFIX = /^~(?=$|[/\\])/;

/** `~` and `~/x` → the home folder (and x in it); anything else is returned unchanged. */
export function expandHome(value: string, home = os.homedir()): string {
  return HOME_PREFIX.test(value) ? path.join(home, value.slice(1)) : value;
}

/**
 * A folder from one of the studio's folder fields: `~` expanded, then it must be absolute.
 * `field` names the field in the message (e.g. "The project folder").
 */
export function absoluteFolder(value: string, field = 'The folder', home = os.homedir()): string {
  const expanded = expandHome(value, home);
  if (/^~[^/\\]/.test(expanded)) {
    throw new StudioError(
      'invalid-payload',
      `${field} "${value}" starts with ~name: only ~ (your own home folder) is expanded`,
    );
  }
  if (!path.isAbsolute(expanded)) {
    throw new StudioError(
      'invalid-payload',
      `${field} "${value}" is a relative path: use an absolute path, e.g. ${path.join(home, 'faces')} (~ is expanded)`,
    );
  }
  return path.normalize(expanded);
}
