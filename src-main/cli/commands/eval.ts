/**
 * `face-studio eval --model DIR --data DIR --format F [--split S] [--limit N] [--crop C]`: scores
 * an exported model on a labelled folder read by the library's importers. `--crop inference` cuts
 * faces as `predict` does (the labelled box, else the detector's); `--crop true-points` around the
 * labelled points, which no user of `predict` has; the default is the card's (inference for a
 * backbone-headed model), and the table and report name the one used (evaluate-model.ts). A table
 * goes to stderr and the JSON report to stdout. Bad data fails naming every bad file (exit 1); a
 * wrong call exits 2.
 */
import { labelFormat } from '../../core/formats/registry';
import { readLabelledInput, type LabelledFormat } from '../../core/library/labelled-input';
import { builtinLandmarkSchema, BUILTIN_LANDMARK_SCHEMAS } from '../../core/schemas/builtin';
import { chooseBackend } from '../../engine/backend';
import { loadExportedModel, readModelCard } from '../../engine/export/load-model';
import { landmarkSchemaOfCard } from '../../engine/predict/card-schema';
import { evaluateModel, type EvalReport } from '../../engine/predict/evaluate-model';
import { Split } from '../../shared/domain';
import { ExportFormat } from '../../shared/library';
import type { LandmarkSchema } from '../../shared/schemas';
import { parseCommandArgs, parseFormatOption, UsageError, type CliIo } from '../cli-io';
import { EVAL_USAGE } from '../usage';

export async function evalCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      model: { type: 'string' },
      data: { type: 'string' },
      format: { type: 'string' },
      split: { type: 'string' },
      limit: { type: 'string' },
      batch: { type: 'string', default: '16' },
      landmarks: { type: 'string' },
      crop: { type: 'string' },
    },
    EVAL_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, EVAL_USAGE);
  if (!values.model) throw new UsageError('Missing --model', EVAL_USAGE);
  if (!values.data) throw new UsageError('Missing --data', EVAL_USAGE);
  const format = parseFormatOption(values.format, ExportFormat.options, EVAL_USAGE);
  const split = values.split === undefined ? undefined : Split.safeParse(values.split);
  if (split && !split.success)
    throw new UsageError(
      `--split ${values.split}: expected ${Split.options.join(', ')}`,
      EVAL_USAGE,
    );
  const limit = values.limit === undefined ? undefined : positiveInteger('--limit', values.limit);
  const batchSize = positiveInteger('--batch', values.batch);
  const crop = values.crop;
  if (crop !== undefined && crop !== 'inference' && crop !== 'true-points')
    throw new UsageError(`--crop ${crop}: expected inference or true-points`, EVAL_USAGE);

  const card = await readModelCard(values.model);
  const landmarks = dataLandmarkSchema(landmarkSchemaOfCard(card), values.landmarks, format);
  const input = await readLabelledInput(values.data, format, { landmarks, attributes: null });
  const backend = await chooseBackend();
  const model = await loadExportedModel(values.model);
  io.err(
    `backend ${backend.name} · model ${card.id} (${card.task}) · ${input.images.length} images`,
  );
  try {
    const report = await evaluateModel(model, input, {
      batchSize,
      ...(crop ? { crop } : {}),
      ...(split?.data ? { split: split.data } : {}),
      ...(limit ? { limit } : {}),
      onProgress: ({ done, total }) => io.err(`${done}/${total} faces`),
    });
    io.err(evalTable(report));
    io.out(JSON.stringify({ data: values.data, format, ...report }, null, 2));
  } finally {
    model.dispose();
  }
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${name} ${text}: expected a positive integer`, EVAL_USAGE);
  return value;
}

/**
 * The schema the data's points are checked against: the model's own for a landmark model; for
 * others (which only crop by the points) `--landmarks`, else the format's usual one.
 */
function dataLandmarkSchema(
  ofModel: LandmarkSchema | null,
  named: string | undefined,
  format: LabelledFormat,
): LandmarkSchema {
  if (ofModel) {
    if (named !== undefined && named !== ofModel.id)
      throw new UsageError(
        `--landmarks ${named}: the model predicts ${ofModel.id} points; leave --landmarks out`,
        EVAL_USAGE,
      );
    return ofModel;
  }
  const id = named ?? labelFormat(format).landmarkSchema ?? 'ibug68';
  if (!BUILTIN_LANDMARK_SCHEMAS.includes(id))
    throw new UsageError(
      `--landmarks ${id}: expected ${BUILTIN_LANDMARK_SCHEMAS.join(', ')}`,
      EVAL_USAGE,
    );
  return builtinLandmarkSchema(id);
}

const percent = (value: number): string =>
  Number.isNaN(value) ? '—' : `${(value * 100).toFixed(2)}%`;

/** The report as a small table for people; the JSON on stdout is for tools. */
export function evalTable(report: EvalReport): string {
  const rows: [string, string][] = [];
  if (report.landmarks) {
    const l = report.landmarks;
    rows.push(
      [`NME (points ${l.normaliser.join('–')})`, percent(l.nme)],
      ['FR@10%', percent(l.failureRate)],
      ['AUC@10%', l.auc.toFixed(4)],
      ['mean uncertainty', percent(l.meanUncertainty)],
    );
  }
  if (report.attributes) {
    for (const [name, value] of Object.entries(report.attributes.accuracy))
      rows.push([`accuracy ${name}`, percent(value)]);
    for (const [name, g] of Object.entries(report.attributes.groups ?? {}))
      rows.push([
        `accuracy ${name} (${g.faces} faces)`,
        `${percent(g.accuracy)} (majority ${percent(g.majorityRate)})`,
      ]);
    rows.push(['mean accuracy', percent(report.attributes.meanAccuracy)]);
  }
  if (report.expression) {
    rows.push(['accuracy', percent(report.expression.accuracy)]);
    for (const [name, value] of Object.entries(report.expression.recall))
      rows.push([`recall ${name}`, percent(value)]);
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `model ${report.model.id} (${report.model.task}) · ${report.faces} faces` +
      (report.unlabelled > 0 ? ` · ${report.unlabelled} without the labels it needs` : ''),
    `  cut ${report.crop === 'inference' ? 'as predict cuts them' : 'around the TRUE points (predict cannot)'}: ` +
      Object.entries(report.cutFrom)
        .map(([from, n]) => `${n} from ${from}`)
        .join(', '),
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value.padStart(8)}`),
  ].join('\n');
}
