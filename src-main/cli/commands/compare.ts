/**
 * `face-studio compare --project P [--task landmarks|attributes|expression] [--backbones ID,…]`:
 * the Models view's backbone comparison, in this process — every face backbone the app offers the
 * project (or those named) fitted on the train faces of the task and scored on val and test
 * (engine/jobs/compare-job.ts). The comparison is saved in the project as its last of the task
 * (one-click starts from its winner). Progress and the table go to stderr, the JSON to stdout.
 */
import path from 'node:path';
import { readLabelledFaces } from '../../app/training/finetune-faces';
import { chooseBackend } from '../../engine/backend';
import { offeredBackbones } from '../../engine/backbones/backbone-registry';
import { runCompareJob } from '../../engine/jobs/compare-job';
import { modelsDir, newRunId } from '../../engine/jobs/run-folder';
import type { BackboneComparison, SplitScore } from '../../shared/backbone-comparison';
import { StudioError } from '../../shared/errors';
import { FinetuneTaskName } from '../../shared/training';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { COMPARE_USAGE } from '../usage';

export async function compareCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      project: { type: 'string' },
      task: { type: 'string', default: 'landmarks' },
      backbones: { type: 'string' },
    },
    COMPARE_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, COMPARE_USAGE);
  if (!values.project) throw new UsageError('Missing --project', COMPARE_USAGE);
  const task = FinetuneTaskName.safeParse(values.task);
  if (!task.success)
    throw new UsageError(
      `--task must be one of ${FinetuneTaskName.options.join(', ')}`,
      COMPARE_USAGE,
    );
  const wanted = values.backbones?.split(',').map((id) => id.trim()) ?? null;
  const projectDir = path.resolve(values.project);
  const offered = await offeredBackbones(modelsDir(projectDir));
  const unknown = (wanted ?? []).filter((id) => !offered.some((b) => b.id === id));
  if (unknown.length > 0)
    throw new UsageError(
      `--backbones: ${unknown.join(', ')} not offered; offered: ${offered.map((b) => b.id).join(', ')}`,
      COMPARE_USAGE,
    );
  const backbones = wanted ? offered.filter((b) => wanted.includes(b.id)) : offered;

  const backend = await chooseBackend();
  io.err(`backend ${backend.name} · backbones ${backbones.map((b) => b.id).join(', ')}`);
  const { outcome, comparison } = await runCompareJob(
    {
      jobId: newRunId('compare'),
      projectDir,
      task: task.data,
      faces: async (t) => {
        const set = await readLabelledFaces(projectDir, t);
        const skipped = Object.entries(set.skipped).map(([why, n]) => `${n} ${why}`);
        io.err(
          `${set.faces.length} labelled ${t} faces` +
            (skipped.length > 0 ? ` (left out: ${skipped.join(', ')})` : ''),
        );
        return set;
      },
      backbones: async () => backbones,
    },
    {
      emit: (event) => {
        if (event.type !== 'compareProgress') return;
        const p = event.progress;
        if (p.stage === 'loading') io.err(`${p.backboneId}: loading (${p.done + 1}/${p.total})`);
        if (p.stage === 'scored') io.err(`${p.backboneId}: scored (${p.done}/${p.total})`);
      },
    },
  );
  if (outcome.type === 'failed') throw new StudioError('invalid-payload', outcome.message);
  if (!comparison) throw new StudioError('internal', `The comparison ended: ${outcome.type}`);
  io.err(comparisonTable(comparison));
  io.out(JSON.stringify(comparison, null, 2));
}

function cell(score: SplitScore | null, nme: boolean): string {
  if (!score) return '—';
  const value = `${(score.value * 100).toFixed(2)}%`;
  return nme && score.failureRate !== null
    ? `${value} / ${(score.failureRate * 100).toFixed(1)}%`
    : value;
}

/** The comparison as a table for people: one row per backbone, the baseline last. */
export function comparisonTable(c: BackboneComparison): string {
  const nme = c.metric === 'nme';
  const head = nme ? 'NME / FR@10%' : 'accuracy';
  const rows: string[][] = [['backbone', `val ${head}`, `test ${head}`, 'ms/face', 'licence']];
  for (const r of c.rows) {
    rows.push([
      (r.backboneId === c.winner ? '* ' : '  ') + r.backboneId,
      r.error ? `failed: ${r.error}` : cell(r.val, nme),
      r.error ? '' : cell(r.test, nme),
      r.msPerFace === null ? '—' : r.msPerFace.toFixed(1),
      r.licence,
    ]);
  }
  rows.push([
    `  ${c.baseline.name}`,
    cell(c.baseline.val, nme),
    cell(c.baseline.test, nme),
    '',
    '',
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((text, i) => text.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  return [
    `${c.task}: ${c.faces.train} train, ${c.faces.val} val, ${c.faces.test} test faces` +
      (c.winner ? ` · best on ${c.chosenBy}: ${c.winner} (*)` : ' · no backbone scored'),
    ...lines,
  ].join('\n');
}
