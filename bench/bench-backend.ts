/**
 * `--backend NAME` for the benches that run engine code (bench:pretrain, bench:fewshot): any of
 * engine/backend.ts's names. The backend is forced, as `FACE_STUDIO_BACKEND` forces it, so a
 * backend that cannot start here stops the bench with the reason instead of measuring another.
 */
import os from 'node:os';
import { BACKEND_NAMES, chooseBackend, type BackendName } from '../src-main/engine/backend';
import type { BackendReport } from '../src-main/shared/domain';
import { errorMessage } from '../src-main/shared/errors';

/** `raw` as a backend name, or exits with the names there are. */
export function backendNameOf(raw: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(raw)) return raw as BackendName;
  console.error(`--backend ${raw}: not a backend; use one of ${BACKEND_NAMES.join(', ')}`);
  process.exit(2);
}

/** Makes `name` the backend, or exits saying why it cannot be used here. */
export async function useBenchBackend(name: BackendName): Promise<BackendReport> {
  try {
    return await chooseBackend({ force: name });
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    console.error(`--backend ${name} cannot be used here: ${errorMessage(cause)}`);
    process.exit(1);
  }
}

/** One line: the backend and the device it ran on (the GPU's name, or the CPU's). */
export function backendLine(report: BackendReport): string {
  return `backend: ${report.name} on ${deviceOf(report)}`;
}

/** The GPU the report names, else the CPU this process runs on. */
export function deviceOf(report: BackendReport): string {
  if (report.device) return report.device;
  const cpus = os.cpus();
  return `CPU: ${cpus[0]?.model.trim() ?? 'unknown'} (${cpus.length} threads)`;
}
