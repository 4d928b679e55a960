/**
 * `face-studio pretrain --project P [--config file.json] [--set key=value]… [--resume RUN_ID]`:
 * pre-trains a backbone on the project's pool and train faces, in this process (the CLI is its
 * own single TensorFlow.js thread), writing runs/<id>/ and exporting models/<id>/ at the end.
 * Progress lines go to stderr, a JSON summary to stdout. A bad config key or type exits 2.
 * It reads the project as a snapshot and writes none of its files, so it runs while the studio
 * has the project open.
 */
import path from 'node:path';
import { readPretrainSources } from '../../app/training/pretrain-sources';
import { chooseBackend } from '../../engine/backend';
import { runPretrainJob } from '../../engine/jobs/pretrain-job';
import { parsePretrainConfig } from '../../engine/pretrain/pretrain-config';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import {
  checkConfig,
  configFromArgs,
  describeJobEvent,
  newRunId,
  throwIfFailed,
} from '../training-command';
import { PRETRAIN_USAGE } from '../usage';

export async function pretrainCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      resume: { type: 'string' },
    },
    PRETRAIN_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, PRETRAIN_USAGE);
  if (!values.project) throw new UsageError('Missing --project', PRETRAIN_USAGE);

  const config = await configFromArgs(values, PRETRAIN_USAGE);
  // Check keys and types now (exit 2, the key named); a resumed run merges over its saved config.
  if (!values.resume) checkConfig(parsePretrainConfig, config, PRETRAIN_USAGE);

  const projectDir = path.resolve(values.project);
  // Read from project.json, without the project's lock: training never writes the project's
  // files (only runs/<id>/ and models/<id>/), so it runs while the studio has the project open.
  const sources = await readPretrainSources(projectDir);
  const backend = await chooseBackend();
  io.err(`backend ${backend.name} · ${sources.length} images`);
  const runId = values.resume ?? newRunId('pretrain');
  const outcome = await runPretrainJob(
    {
      jobId: runId,
      runDir: path.join(projectDir, 'runs', runId),
      modelsDir: path.join(projectDir, 'models'),
      config,
      resume: values.resume !== undefined,
      sources,
      projectDir,
    },
    {
      emit: (event) => {
        const line = describeJobEvent(event);
        if (line) io.err(line);
      },
    },
  );
  throwIfFailed(outcome, 'Invalid pre-training config', PRETRAIN_USAGE);
  io.out(JSON.stringify({ runId, ...outcome }, null, 2));
}
