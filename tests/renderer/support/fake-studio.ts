/**
 * The renderer's one mock: a `window.studio` as Electron's preload exposes it, so the stores run
 * their real `lib/api.ts` against answers a test scripts. Each channel answers through a handler
 * (a value, a promise the test resolves when it likes, or a `Refusal`); every request is recorded
 * in order; `emit` pushes an event as the studio would. Requests, answers and events are checked
 * against the contract as main checks them, so a store sending a bad payload fails its test.
 */
import type { z } from 'zod';
import {
  eventContract,
  invokeContract,
  type EventChannel,
  type EventPayload,
  type InvokeChannel,
  type InvokeResult,
  type IpcError,
  type ParsedRequestOf,
  type RequestOf,
  type ResponseOf,
  type StudioApi,
} from '$shared/ipc-contract';

/** Thrown by a handler: the studio answers `{ok: false}` with this code. */
export class Refusal extends Error {
  readonly code: IpcError['code'];

  constructor(code: IpcError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export type Handler<C extends InvokeChannel> = (
  request: ParsedRequestOf<C>,
) => ResponseOf<C> | Promise<ResponseOf<C>>;

type Handlers = { [C in InvokeChannel]?: Handler<C> };

export interface Call {
  channel: InvokeChannel;
  request: unknown;
}

export class FakeStudio implements StudioApi {
  readonly calls: Call[] = [];
  #handlers: Handlers = {};
  readonly #listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();

  /** Forgets every handler, call and listener (between tests). */
  reset(): void {
    this.calls.length = 0;
    this.#handlers = {};
    this.#listeners.clear();
  }

  handle<C extends InvokeChannel>(channel: C, handler: Handler<C>): void {
    (this.#handlers as Record<InvokeChannel, unknown>)[channel] = handler;
  }

  /** The requests sent on `channel` (as main parses them), in order. */
  requests<C extends InvokeChannel>(channel: C): ParsedRequestOf<C>[] {
    return this.calls
      .filter((c) => c.channel === channel)
      .map((c) => c.request as ParsedRequestOf<C>);
  }

  /** The channels asked, in order. */
  channels(): InvokeChannel[] {
    return this.calls.map((c) => c.channel);
  }

  async invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestOf<C>,
  ): Promise<InvokeResult<C>> {
    const parsed = (invokeContract[channel].request as z.ZodType).safeParse(request);
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid-payload', message: parsed.error.message } };
    }
    const payload = parsed.data as ParsedRequestOf<C>;
    this.calls.push({ channel, request: structuredClone(payload) });
    const handler = this.#handlers[channel] as Handler<C> | undefined;
    if (!handler) {
      return { ok: false, error: { code: 'internal', message: `No handler for ${channel}` } };
    }
    try {
      const answer = await handler(payload);
      // A test that scripts an answer the studio could not give is wrong: say so at once.
      const value = (invokeContract[channel].response as z.ZodType).parse(answer) as ResponseOf<C>;
      return { ok: true, value };
    } catch (error) {
      if (error instanceof Refusal) {
        return { ok: false, error: { code: error.code, message: error.message } };
      }
      throw error;
    }
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const forEvent = this.#listeners.get(event) ?? new Set();
    const untyped = listener as (payload: unknown) => void;
    forEvent.add(untyped);
    this.#listeners.set(event, forEvent);
    return () => forEvent.delete(untyped);
  }

  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    const checked = (eventContract[event] as z.ZodType).parse(payload);
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(checked);
  }
}

/** A promise with its resolve and reject at hand: an answer the test releases when it likes. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every settled promise's callbacks run (answers are promises; no clock involved). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await Promise.resolve();
}
