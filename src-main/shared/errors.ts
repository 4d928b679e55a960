/**
 * An error meant for the user: a stable `code` and a message that names the file and the problem.
 * Thrown by core and engine; main maps it to an `IpcError` unchanged, anything else to `internal`.
 */
import type { IpcError } from './ipc-contract';

export class StudioError extends Error {
  readonly code: IpcError['code'];

  constructor(code: IpcError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudioError';
    this.code = code;
  }
}

/** What a thrown value says: an Error's message, anything else as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function toIpcError(error: unknown): IpcError {
  if (error instanceof StudioError) return { code: error.code, message: error.message };
  return { code: 'internal', message: errorMessage(error) };
}
