/**
 * `face-studio serve`: the studio in a browser, for a lab's GPU box reached over an SSH tunnel.
 * It listens on loopback only; the printed address carries the per-launch token.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { SERVE_USAGE } from '../usage';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serve(
  args: string[],
  io: CliIo,
  /** Resolves when the server should stop; the entry point passes SIGINT/SIGTERM. */
  stopSignal: Promise<unknown>,
): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'projects-root': { type: 'string' },
      'renderer-dir': { type: 'string' },
    },
    SERVE_USAGE,
  );
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument ${positionals[0]}`, SERVE_USAGE);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new UsageError(
      `--port must be an integer from 0 to 65535, not ${values.port}`,
      SERVE_USAGE,
    );
  }
  // The token guards the API, but the studio reads and writes the disk: keep it off the network.
  // Reach it from elsewhere through an SSH tunnel (ssh -L PORT:127.0.0.1:PORT host).
  if (!LOOPBACK_HOSTS.has(values.host)) {
    throw new UsageError(
      `--host ${values.host} is not a loopback address; the studio listens on 127.0.0.1, localhost or ::1 only (use an SSH tunnel to reach it from another machine)`,
      SERVE_USAGE,
    );
  }
  const projectsRoot = values['projects-root'];
  if (projectsRoot && !existsSync(projectsRoot)) {
    throw new StudioError('not-found', `The projects folder ${projectsRoot} does not exist`);
  }
  // Loaded only once the arguments are known to be good: it pulls in the store and the server.
  const { DEFAULT_RENDERER_DIR, serveStudio } = await import('../../server/serve');
  const rendererDir = values['renderer-dir'] ?? DEFAULT_RENDERER_DIR;
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new StudioError(
      'not-found',
      `The page is not built (${rendererDir} has no index.html): run \`npm run build:renderer\`, or start with \`npm run serve\``,
    );
  }

  const studio = await serveStudio({
    port,
    host: values.host,
    dataDir: values['data-dir'],
    projectsRoot,
    rendererDir,
  });
  io.out(`Face Studio is running at ${studio.url}`);
  if (projectsRoot) io.out(`Projects are confined to ${path.resolve(projectsRoot)}`);
  io.out('Open the address above in a browser; press Ctrl+C to stop.');
  await stopSignal;
  await studio.close();
}
