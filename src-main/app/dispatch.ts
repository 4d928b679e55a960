/**
 * The one place a request from any renderer (Electron IPC or the browser bridge) becomes a handler
 * call: the channel must exist, the payload must pass its validator, and every failure comes back
 * as a typed `IpcError`. No Electron imports, so the bridge uses it too.
 */
import {
  invokeContract,
  isInvokeChannel,
  type InvokeChannel,
  type InvokeResult,
  type ParsedRequestOf,
  type ResponseOf,
} from '../shared/ipc-contract';
import { notePageRequest } from '../core/library/media-quiet';
import { toIpcError } from '../shared/errors';

export type Handler<C extends InvokeChannel> = (
  request: ParsedRequestOf<C>,
) => Promise<ResponseOf<C>>;

/** One handler per channel: a missing channel is a type error. */
export type HandlerTable = { [C in InvokeChannel]: Handler<C> };

export async function dispatch(
  table: HandlerTable,
  channel: unknown,
  payload: unknown,
): Promise<InvokeResult<InvokeChannel>> {
  if (!isInvokeChannel(channel)) {
    return {
      ok: false,
      error: { code: 'invalid-payload', message: `Unknown channel ${JSON.stringify(channel)}` },
    };
  }
  const parsed = invokeContract[channel].request.safeParse(payload ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
      .join('; ');
    return {
      ok: false,
      error: { code: 'invalid-payload', message: `Invalid payload for ${channel}: ${issues}` },
    };
  }
  // The page is busy: background work (thumbnails ahead, the files check) waits its turn.
  notePageRequest();
  try {
    const handler = table[channel] as Handler<InvokeChannel>;
    const value = await handler(parsed.data as ParsedRequestOf<InvokeChannel>);
    return { ok: true, value } as InvokeResult<InvokeChannel>;
  } catch (error) {
    return { ok: false, error: toIpcError(error) };
  } finally {
    notePageRequest();
  }
}
