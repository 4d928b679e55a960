/** The CLI's entry point (bin/face-studio.js, `npm run cli`): run, then exit with the code. */
import { runCli } from './run';

const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});

process.exitCode = await runCli(process.argv.slice(2), { stopSignal });
// Anything still holding the event loop (a stray timer, a child's pipe) must not keep a finished
// command alive.
process.exit();
