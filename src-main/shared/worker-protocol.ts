/**
 * The protocol between the main process and the one long-lived training process (DESIGN §2).
 *
 * Both directions are discriminated unions on `type`. Each side validates what it *receives* with
 * the zod schemas below, so a message from a stale build or a bug is reported, never acted on.
 * To add a message (the job queue adds submit / pause / cancel / resume / progress), add one
 * object to the union: the inferred types and the validators follow.
 *
 * No Node or Electron imports: main, workers and tests share this module.
 */
import { z } from 'zod';
import { BackendReport } from './domain';

/** Parent → training process. */
export const ToTrainingMessage = z.discriminatedUnion('type', [
  /** Asks the process to report its state again; it answers `ready` or `error`. */
  z.object({ type: z.literal('hello') }).strict(),
  /** Asks the process to exit cleanly (it finishes nothing; jobs are cancelled). */
  z.object({ type: z.literal('shutdown') }).strict(),
]);
export type ToTrainingMessage = z.infer<typeof ToTrainingMessage>;

/** Training process → parent. */
export const FromTrainingMessage = z.discriminatedUnion('type', [
  /** The backend is chosen and initialised; the process accepts work. */
  z.object({ type: z.literal('ready'), backend: BackendReport }).strict(),
  /** Something failed in the process (e.g. a forced backend that does not load). */
  z.object({ type: z.literal('error'), message: z.string() }).strict(),
]);
export type FromTrainingMessage = z.infer<typeof FromTrainingMessage>;

/** Describes why a received value is not a valid message, for logs and error events. */
export function describeInvalidMessage(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`)
    .join('; ');
}
