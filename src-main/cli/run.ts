/**
 * `face-studio <command>`: finds the command, runs it, and turns the outcome into an exit code
 * (0 done, 1 the work failed, 2 the command line was wrong). Each command lives in commands/.
 */
import { setLockHolderName } from '../core/project-lock';
import { toIpcError } from '../shared/errors';
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  HelpRequested,
  processIo,
  UsageError,
  type CliIo,
} from './cli-io';
import {
  COMPARE_USAGE,
  DOCTOR_USAGE,
  EVAL_USAGE,
  EXPORT_USAGE,
  FINETUNE_USAGE,
  IMPORT_BACKBONE_USAGE,
  IMPORT_USAGE,
  PREDICT_USAGE,
  PROJECT_CREATE_USAGE,
  PRETRAIN_USAGE,
  PROJECT_INFO_USAGE,
  PROJECT_CONSOLIDATE_USAGE,
  SERVE_USAGE,
  SPLITS_USAGE,
} from './usage';

const USAGE = [
  SERVE_USAGE,
  PROJECT_CREATE_USAGE,
  PROJECT_INFO_USAGE,
  PROJECT_CONSOLIDATE_USAGE,
  IMPORT_USAGE,
  SPLITS_USAGE,
  EXPORT_USAGE,
  PRETRAIN_USAGE,
  IMPORT_BACKBONE_USAGE,
  FINETUNE_USAGE,
  PREDICT_USAGE,
  EVAL_USAGE,
  COMPARE_USAGE,
  DOCTOR_USAGE,
].join('\n       ');

const PROJECT_USAGE = [PROJECT_CREATE_USAGE, PROJECT_INFO_USAGE, PROJECT_CONSOLIDATE_USAGE].join(
  '\n       ',
);

export interface RunOptions {
  io?: CliIo;
  /** For `serve`: resolves when it should stop. */
  stopSignal?: Promise<unknown>;
}

export async function runCli(argv: string[], options: RunOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  const [command, ...rest] = argv;
  // A project this command opens for writing is locked in this name ("face-studio import").
  setLockHolderName(
    ['face-studio', command, command === 'project' ? rest[0] : undefined]
      .filter((word) => word !== undefined)
      .join(' '),
  );
  try {
    switch (command) {
      // Commands load on demand: `project info` need not load the server, nor a typo anything.
      case 'serve': {
        const { serve } = await import('./commands/serve');
        await serve(rest, io, options.stopSignal ?? new Promise(() => undefined));
        return EXIT_OK;
      }
      case 'project': {
        const [action, ...args] = rest;
        if (action === 'create')
          await (await import('./commands/project-create')).projectCreate(args, io);
        else if (action === 'info')
          await (await import('./commands/project-info')).projectInfo(args, io);
        else if (action === 'consolidate')
          await (await import('./commands/project-consolidate')).projectConsolidate(args, io);
        else if (action === '--help' || action === '-h') throw new HelpRequested(PROJECT_USAGE);
        else if (action === undefined)
          throw new UsageError('Missing the project action', PROJECT_USAGE);
        else
          throw new UsageError(`Unknown project action ${JSON.stringify(action)}`, PROJECT_USAGE);
        return EXIT_OK;
      }
      case 'import':
        await (await import('./commands/library-import')).libraryImport(rest, io);
        return EXIT_OK;
      case 'splits':
        await (await import('./commands/splits')).splitsCommand(rest, io);
        return EXIT_OK;
      case 'export':
        await (await import('./commands/library-export')).libraryExport(rest, io);
        return EXIT_OK;
      case 'pretrain':
        await (await import('./commands/pretrain')).pretrainCommand(rest, io);
        return EXIT_OK;
      case 'import-backbone':
        await (await import('./commands/import-backbone')).importBackboneCommand(rest, io);
        return EXIT_OK;
      case 'finetune':
        await (await import('./commands/finetune')).finetuneCommand(rest, io);
        return EXIT_OK;
      case 'predict':
        await (await import('./commands/predict')).predictCommand(rest, io);
        return EXIT_OK;
      case 'eval':
        await (await import('./commands/eval')).evalCommand(rest, io);
        return EXIT_OK;
      case 'compare':
        await (await import('./commands/compare')).compareCommand(rest, io);
        return EXIT_OK;
      case 'doctor':
        await (await import('./commands/doctor')).doctorCommand(rest, io);
        return EXIT_OK;
      case undefined:
        throw new UsageError('Missing a command', USAGE);
      case 'help':
      case '--help':
      case '-h':
        io.out(`Usage: ${USAGE}`);
        return EXIT_OK;
      default:
        throw new UsageError(`Unknown command ${JSON.stringify(command)}`, USAGE);
    }
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(`Usage: ${error.usage}`);
      return EXIT_OK;
    }
    if (error instanceof UsageError) {
      io.err(`face-studio: ${error.message}\n\nUsage: ${error.usage}`);
      return EXIT_USAGE;
    }
    io.err(`face-studio: ${toIpcError(error).message}`);
    return EXIT_FAILED;
  }
}
