// The dashboard's one way to the control plane: JSON calls and Server-Sent Events, both with the
// token in the Authorization header. The token lives in this tab's sessionStorage only: never in
// a URL, a cookie or a log line. EventSource cannot send a header, so streams are read with fetch.

const TOKEN_KEY = 'slipway.token';

export const getToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** An answer of the API other than 2xx: its status and the `{code, message}` of its error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the token is refused (401): the page goes back to the login form. */
let onUnauthorized: (message: string) => void = () => undefined;
export const whenUnauthorized = (f: (message: string) => void): void => {
  onUnauthorized = f;
};

const headers = (extra: Record<string, string> = {}, token = getToken()): Record<string, string> => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });

const failure = async (res: Response): Promise<ApiError> => {
  let code = 'http';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON: the status line says it.
  }
  return new ApiError(res.status, code, message);
};

/** GET (or another method with a JSON body) of an API path; throws ApiError on anything but 2xx. */
export const call = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<T> => {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }, token ?? getToken()),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: 'no-store',
  });
  if (!res.ok) {
    const e = await failure(res);
    if (res.status === 401 && token === undefined) onUnauthorized(e.message);
    throw e;
  }
  return (await res.json()) as T;
};

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);

export interface StreamEvent {
  id: number;
  event: string;
  data: unknown;
}

/**
 * Follows a Server-Sent Events path until `signal` aborts or the stream sends `end`. A dropped
 * connection (the server restarted, the network blinked) is taken up again after the last id
 * received (`Last-Event-ID`), so nothing is lost or repeated. `onState` says whether it is
 * connected, for the page's "live" badge.
 */
export const follow = async (path: string, opts: { signal: AbortSignal; after?: number; onEvent: (e: StreamEvent) => void; onState?: (live: boolean) => void }): Promise<void> => {
  let last = opts.after;
  let delay = 250;
  while (!opts.signal.aborted) {
    let ended = false;
    try {
      const res = await fetch(path, { headers: headers({ accept: 'text/event-stream', ...(last === undefined ? {} : { 'last-event-id': String(last) }) }), signal: opts.signal, cache: 'no-store' });
      if (res.status === 401) {
        onUnauthorized((await failure(res)).message);
        return;
      }
      if (!res.ok || !res.body) throw await failure(res);
      opts.onState?.(true);
      delay = 250;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          const e = parseFrame(frame);
          if (e === undefined) continue;
          if (!Number.isNaN(e.id)) last = e.id;
          if (e.event === 'end') ended = true;
          opts.onEvent(e);
        }
      }
    } catch (e) {
      if (opts.signal.aborted) return;
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) throw e;
    }
    opts.onState?.(false);
    if (ended) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 4000);
  }
};

const parseFrame = (frame: string): StreamEvent | undefined => {
  let id = Number.NaN;
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = Number(value);
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { id, event, data: JSON.parse(data.join('\n')) as unknown };
  } catch {
    return { id, event, data: data.join('\n') };
  }
};
