/**
 * `face-studio doctor [--json]`: which TensorFlow.js backend a training run would use here and
 * why each better one was passed over, with what would make it run; the GPU adapter WebGPU sees,
 * the CUDA libraries, wasm's SIMD and threads, versions and the settings folder
 * (engine/doctor.ts). Text for people, `--json` for scripts and bug reports. Exits 0 whenever it
 * could look (a machine without a GPU is not a failure); 1 only when no backend at all can start.
 */
import { diagnose, type DoctorReport } from '../../engine/doctor';
import { studioVersion } from '../../server/serve';
import { StudioError } from '../../shared/errors';
import { parseCommandArgs, UsageError, type CliIo } from '../cli-io';
import { DOCTOR_USAGE } from '../usage';

export async function doctorCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { json: { type: 'boolean', default: false } },
    DOCTOR_USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument ${positionals[0]}`, DOCTOR_USAGE);
  const report = await diagnose({ studioVersion: studioVersion() });
  io.out(values.json ? JSON.stringify(report, null, 2) : doctorText(report));
  if ('error' in report.chosen) throw new StudioError('internal', report.chosen.error);
}

/** The report as people read it: the verdict first, then each backend, then the details. */
export function doctorText(report: DoctorReport): string {
  const lines: string[] = [];
  const { chosen } = report;
  if ('error' in chosen) lines.push(`Training backend: none can start. ${chosen.error}`);
  else
    lines.push(
      `Training backend: ${chosen.name}${chosen.device ? ` on ${chosen.device}` : ''}` +
        (chosen.forced ? ' (forced by FACE_STUDIO_BACKEND)' : ' (the best that loaded)'),
    );
  if (!('error' in chosen) && (chosen.name === 'wasm' || chosen.name === 'cpu'))
    lines.push('No GPU backend is used: see why below.');
  lines.push('');
  const width = Math.max(...report.backends.map((b) => b.name.length));
  for (const check of report.backends) {
    lines.push(
      `  ${check.name.padEnd(width)}  ${check.status}${check.reason ? `: ${check.reason}` : ''}`,
    );
    if (check.fix) lines.push(`  ${' '.repeat(width)}  fix: ${check.fix}`);
  }
  lines.push('');
  const { webgpu, cudaRuntime, cudnn } = report.gpu;
  lines.push(
    'none' in webgpu
      ? 'WebGPU adapter: none'
      : `WebGPU adapter: ${webgpu.name}${webgpu.software ? ', software (a CPU emulation)' : ''}`,
  );
  lines.push(`CUDA runtime: ${cudaRuntime ?? 'not found'} · cuDNN: ${cudnn ?? 'not found'}`);
  lines.push(
    `wasm: SIMD ${report.wasm.simd ? 'yes' : 'no'} · threads ${report.wasm.threads ? 'yes' : 'no'}`,
  );
  const { platform } = report;
  lines.push(
    `Machine: ${platform.os} ${platform.arch}, ${platform.cpus} cores, ${platform.memoryGiB} GiB`,
  );
  lines.push(
    `Versions: ${Object.entries(report.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(' · ')}`,
  );
  lines.push(`Settings folder (the desktop app): ${report.settingsFolder}`);
  return lines.join('\n');
}
