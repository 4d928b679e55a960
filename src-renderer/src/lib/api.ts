/**
 * The renderer's one door to the studio. In Electron the preload exposes `window.studio`; in a
 * browser the same contract goes over the bridge: `fetch` to /api/invoke with the per-launch
 * token in a header, and a WebSocket at /api/events with the token in the query. No other file
 * knows which of the two it is talking to.
 *
 * A request may carry an `AbortSignal` (a grid page scrolled past, a filter replaced): aborted, it
 * rejects at once with an `AbortError`. Over the bridge the signal goes to `fetch`, so a request
 * still queued in the browser (six at most per host) is never sent and one in flight closes its
 * connection, which the bridge sees before it dispatches. Over Electron IPC a request cannot be
 * recalled; its answer is dropped (docs/ARCHITECTURE.md, "Data flows").
 */
import type {
  EventChannel,
  EventPayload,
  InvokeChannel,
  InvokeResult,
  IpcError,
  RequestOf,
  ResponseOf,
  StudioApi,
} from '$shared/ipc-contract';

export type StudioMode = 'electron' | 'browser';

/** An `{ok: false}` answer, thrown so callers can `try` around a request. */
export class StudioRequestError extends Error {
  readonly code: IpcError['code'];
  readonly channel: InvokeChannel;

  constructor(channel: InvokeChannel, error: IpcError) {
    super(error.message);
    this.name = 'StudioRequestError';
    this.code = error.code;
    this.channel = channel;
  }
}

/** Options of one request. */
export interface InvokeOptions {
  /** Aborting it drops the request (see the module's comment); `invoke` rejects with AbortError. */
  signal?: AbortSignal;
}

/** The transport under `invoke`: the preload's API, or the bridge client, which takes a signal. */
interface Transport extends StudioApi {
  invoke<C extends InvokeChannel>(
    channel: C,
    request: RequestOf<C>,
    options?: InvokeOptions,
  ): Promise<InvokeResult<C>>;
}

/** Whether `error` is the rejection of a request its caller aborted (nothing to show). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function abortError(): Error {
  const error = new Error('The request was dropped');
  error.name = 'AbortError';
  return error;
}

/** What a failed request shows: the studio's own message, or an unexpected error named as one. */
export function describeError(error: unknown): string {
  if (error instanceof StudioRequestError) return error.message;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Runs a store's `action`, clearing its error first: true when it ends, false when it throws,
 * the error then shown through `setError` (unless the action's own request was aborted: the
 * caller left it behind on purpose).
 */
export async function attempt(
  action: () => Promise<void>,
  setError: (message: string | null) => void,
): Promise<boolean> {
  setError(null);
  try {
    await action();
    return true;
  } catch (error) {
    if (!isAbort(error)) setError(describeError(error));
    return false;
  }
}

const TOKEN_HEADER = 'x-studio-token';
/** Kept per tab so a reload or a link without `?token=` still works after the first visit. */
const TOKEN_STORAGE_KEY = 'face-studio:token';

function readBridgeToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_STORAGE_KEY);
}

const MISSING_TOKEN: IpcError = {
  code: 'forbidden',
  message: 'This page has no access token: open the address that `face-studio serve` printed.',
};

const REFUSED: IpcError = {
  code: 'forbidden',
  message:
    'The studio refused this page: each launch has a new token, so open the address `face-studio serve` printed this time.',
};

function createBridgeClient(token: string | null): Transport {
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryDelayMs = 500;

  function connect(): void {
    if (!token || socket) return;
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${window.location.host}/api/events?token=${encodeURIComponent(token)}`;
    const opened = new WebSocket(url);
    socket = opened;
    opened.onopen = () => {
      retryDelayMs = 500;
    };
    opened.onmessage = (message) => {
      const { event, payload } = JSON.parse(String(message.data)) as {
        event: EventChannel;
        payload: unknown;
      };
      for (const listener of listeners.get(event) ?? []) listener(payload);
    };
    opened.onclose = () => {
      socket = null;
      // The server restarted or the laptop slept: come back, but don't hammer it.
      setTimeout(connect, retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, 10_000);
    };
  }

  return {
    async invoke<C extends InvokeChannel>(
      channel: C,
      request: RequestOf<C>,
      options?: InvokeOptions,
    ) {
      if (!token) return { ok: false, error: MISSING_TOKEN };
      let response: Response;
      try {
        response = await fetch('/api/invoke', {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify({ channel, payload: request }),
          signal: options?.signal,
        });
      } catch (error) {
        if (options?.signal?.aborted) throw abortError();
        const reason = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          error: { code: 'io', message: `The studio is unreachable: ${reason}` },
        };
      }
      // The token is from an earlier launch (or the page was tampered with).
      if (response.status === 401 || response.status === 403) return { ok: false, error: REFUSED };
      try {
        return (await response.json()) as InvokeResult<C>;
      } catch {
        if (options?.signal?.aborted) throw abortError();
        return {
          ok: false,
          error: { code: 'internal', message: `The studio answered ${response.status}` },
        };
      }
    },
    on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void) {
      const forEvent = listeners.get(event) ?? new Set();
      const untyped = listener as (payload: unknown) => void;
      forEvent.add(untyped);
      listeners.set(event, forEvent);
      connect();
      return () => forEvent.delete(untyped);
    },
  };
}

export const mode: StudioMode = window.studio ? 'electron' : 'browser';

/** The preload's object: a signal cannot cross the context bridge, so it is never handed one. */
function ipcTransport(studio: StudioApi): Transport {
  return {
    invoke: (channel, request) => studio.invoke(channel, request),
    on: (event, listener) => studio.on(event, listener),
  };
}

const transport: Transport = window.studio
  ? ipcTransport(window.studio)
  : createBridgeClient(readBridgeToken());

/**
 * Sends one request; resolves with the value or throws `StudioRequestError`, or an `AbortError`
 * once `options.signal` is aborted (see `isAbort`).
 */
export async function invoke<C extends InvokeChannel>(
  channel: C,
  request: RequestOf<C>,
  options?: InvokeOptions,
): Promise<ResponseOf<C>> {
  const signal = options?.signal;
  if (signal?.aborted) throw abortError();
  const sent = transport.invoke(channel, request, options);
  const result = signal ? await untilAborted(sent, signal) : await sent;
  if (!result.ok) throw new StudioRequestError(channel, result.error);
  return result.value;
}

/** `promise`, or a rejection with AbortError as soon as `signal` aborts, whichever is first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(abortError());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        if (signal.aborted) reject(abortError());
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/** Subscribes to a push from the studio; returns the unsubscribe function. */
export function on<E extends EventChannel>(
  event: E,
  listener: (payload: EventPayload<E>) => void,
): () => void {
  return transport.on(event, listener);
}

/**
 * Where an image's bytes load from: the bridge's token-cookie route, or Electron's privileged
 * `studio-media:` scheme. Only this file knows which.
 */
export function mediaUrl(kind: 'thumb' | 'image', imageId: string): string {
  return mode === 'electron'
    ? `studio-media://${kind}/${imageId}`
    : `/media/${kind}/${encodeURIComponent(imageId)}`;
}
