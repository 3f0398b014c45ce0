// Small HTTP helpers for the control plane's API: JSON bodies with a size limit, a route table
// whose entries carry their own documentation and body schema (the OpenAPI document is built from
// it: server/openapi.ts), and the one error boundary that maps Slipway's errors to HTTP statuses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as z from 'zod';
import type { Role } from '../core/auth/tokens.js';
import { SlipwayError, diskFullError, httpStatusOf, isSlipwayError } from '../core/errors.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  raw: IncomingMessage;
  body(): Promise<unknown>;
}

export type Handler = (req: Request, res: ServerResponse) => Promise<unknown>;

/**
 * What a route says about itself: the one place its request body schema lives, used both to
 * validate the body (400 naming the field) and to write the OpenAPI document (GET /v1/openapi.json).
 */
export interface RouteSpec {
  /** One line: what the route does. */
  summary: string;
  /** More, when one line is not enough (markdown). */
  description?: string;
  /** The least role that may call it; by default `read` for GET and `deploy` for the rest. */
  role?: Role;
  /** The JSON body it reads: `req.body()` answers the parsed value, or 400 naming the field. */
  body?: z.ZodType;
  /** The JSON of a successful answer, where it is practical to say. */
  response?: z.ZodType;
  /** The status of a successful answer (200 by default). */
  status?: number;
  /** Query parameters it reads, each with what it means. */
  query?: Record<string, string>;
  /** An answer that is a stream rather than one JSON value (both: chosen by the Accept header). */
  stream?: 'sse' | 'ndjson' | 'sse-or-ndjson';
  /** Where it is grouped in the document (the second path segment by default: runs, deployments…). */
  tag?: string;
}

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  /** Authenticates its own requests (see `hook`). */
  own: boolean;
  /** The least role that may call it (API routes). */
  role: Role;
  spec?: RouteSpec;
}

/** A route as listed for tests and docs: method, pattern and the least role that may call it. */
export interface RouteInfo {
  method: string;
  pattern: string;
  role: Role;
  /** True for hooks, which check their own credentials instead of the API token. */
  hook: boolean;
  /** Its documentation and schemas; undefined for a route nobody documented (a test refuses that). */
  spec?: RouteSpec;
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** zod's issues phrased to follow a field's name: `"env" must be a string`. */
const issueText = (i: z.core.$ZodRawIssue): string | undefined => {
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return 'is required';
      return `must be ${i.expected === 'int' ? 'a whole number' : article(i.expected)}`;
    case 'too_small':
      if (i.origin === 'string' && Number(i.minimum) === 1) return 'must be a non-empty string';
      return i.origin === 'string' ? `must be at least ${String(i.minimum)} characters long` : i.origin === 'array' ? `must have at least ${String(i.minimum)} items` : `must be at least ${String(i.minimum)}`;
    case 'too_big':
      return i.origin === 'string' ? `must be at most ${String(i.maximum)} characters long` : i.origin === 'array' ? `must have at most ${String(i.maximum)} items` : `must be at most ${String(i.maximum)}`;
    case 'invalid_value':
      return `must be one of ${i.values.map(String).join(', ')}`;
    case 'invalid_format':
      return i.format === 'regex' ? `does not have the expected form (${String((i as { pattern?: unknown }).pattern)})` : `must be ${article(i.format)}`;
    default:
      return undefined;
  }
};

/** A zod failure as one line naming each field: `"env" must be a string; "extra" is not accepted`. */
export const describeZodError = (error: z.ZodError, schema?: z.ZodType, where = 'request body'): string => {
  const known = schema && 'shape' in schema && typeof schema.shape === 'object' && schema.shape !== null ? Object.keys(schema.shape) : undefined;
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.map(String).join('.');
      const field = path ? `"${path}"` : where;
      if (i.code === 'unrecognized_keys') {
        const fields = i.keys.map((k) => `"${path ? `${path}.` : ''}${k}"`).join(', ');
        return `${fields} ${i.keys.length > 1 ? 'are' : 'is'} not accepted (unknown field${!path && known ? `; the fields are ${known.map((k) => `"${k}"`).join(', ') || 'none'}` : ''})`;
      }
      return `${field} ${i.message}`;
    })
    .join('; ');
};

/** Wraps a handler so that `req.body()` reads the body once and answers it checked against `schema`. */
const validating = (schema: z.ZodType, handler: Handler): Handler => (req, res) => {
  let parsed: Promise<unknown> | undefined;
  const body = (): Promise<unknown> =>
    (parsed ??= req.body().then((raw) => {
      const r = schema.safeParse(raw, { error: issueText });
      if (!r.success) throw new HttpError(400, describeZodError(r.error, schema));
      return r.data;
    }));
  return handler({ ...req, body }, res);
};

export class Router {
  private readonly routes: Route[] = [];
  /** Applied to every JSON answer and error before it is sent (the masking of secret values). */
  mask: <T>(value: T) => T = (v) => v;

  /**
   * An API route. Who may call it: the spec's `role` (or a bare role), by default `read` for GET
   * and `deploy` for the rest; routes that change tokens, secrets, config, settings or the server
   * itself say `admin`. Every route is documented with a spec (src/server/openapi.test.ts checks):
   * `r.on('POST', '/v1/things', handler, { summary: 'Create a thing', body: z.strictObject({…}) })`.
   */
  on(method: string, pattern: string, handler: Handler, spec?: Role | RouteSpec): this {
    const s = typeof spec === 'string' ? undefined : spec;
    const role = (typeof spec === 'string' ? spec : spec?.role) ?? (method === 'GET' ? 'read' : 'deploy');
    const h = s?.body ? validating(s.body, handler) : handler;
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler: h, own: false, role, ...(s ? { spec: s } : {}) });
    return this;
  }

  /** Every route, in the order they were added. */
  list(): RouteInfo[] {
    return this.routes.map((r) => ({ method: r.method, pattern: `/${r.parts.join('/')}`, role: r.role, hook: r.own, ...(r.spec ? { spec: r.spec } : {}) }));
  }

  /**
   * A route that authenticates its requests itself (webhooks: Alertmanager's bearer token or an
   * HMAC signature), instead of with the API token. Its pattern is a fixed path, so that the
   * server can tell a hook from the rest by string equality, before anything is authenticated.
   */
  hook(method: string, pattern: string, handler: Handler, spec?: Omit<RouteSpec, 'role'>): this {
    if (pattern.includes(':')) throw new Error(`a hook has a fixed path, not a pattern: ${pattern}`);
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, own: true, role: 'admin', ...(spec ? { spec } : {}) });
    return this;
  }

  /** The hook route at exactly this method and path (compared as sent, never decoded). */
  hookAt(method: string, path: string): Handler | undefined {
    for (const r of this.routes) if (r.own && r.method === method && `/${r.parts.join('/')}` === path) return r.handler;
    return undefined;
  }

  /**
   * The API route of a request that has shown the API token (hooks are found with `hookAt`). A
   * parameter that is not valid percent-encoding is the client's mistake: 400.
   */
  match(method: string, path: string): { handler: Handler; params: Record<string, string>; role: Role } | 'method' | undefined {
    const parts = path.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const r of this.routes) {
      if (r.own || r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = r.parts.every((p, i) => {
        const seg = parts[i] ?? '';
        if (p.startsWith(':')) {
          params[p.slice(1)] = decodeSegment(seg);
          return true;
        }
        return p === seg;
      });
      if (!ok) continue;
      if (r.method !== method) {
        wrongMethod = true;
        continue;
      }
      return { handler: r.handler, params, role: r.role };
    }
    return wrongMethod ? 'method' : undefined;
  }
}

const decodeSegment = (seg: string): string => {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new HttpError(400, `the path segment "${seg.slice(0, 80)}" is not valid percent-encoding`);
  }
};

/** The URL of a request; one Node let through but that does not parse is the client's mistake (400). */
export const requestUrl = (raw: IncomingMessage): URL => {
  try {
    return new URL(raw.url ?? '/', 'http://localhost');
  } catch {
    throw new HttpError(400, `the request target "${(raw.url ?? '').slice(0, 80)}" is not a valid URL`);
  }
};

/**
 * What is left of a refused (oversize) body is read and dropped up to this many bytes and for this
 * long, so that a client still sending it reads the 413 instead of a connection reset under it;
 * beyond either bound the connection is simply closed after the answer.
 */
const DRAIN_BYTES = 8 * 1024 * 1024;
const DRAIN_MS = 5000;

/** The raw body, up to the limit (413 beyond), for routes that check a signature over it. */
export const readRawBody = (req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> =>
  new Promise<Buffer>((resolve, reject) => {
    const tooLarge = (): HttpError => new HttpError(413, `request body is larger than ${limit} bytes`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > DRAIN_BYTES) return reject(tooLarge());
    if (req.readableEnded) return resolve(Buffer.alloc(0)); // already read: 'end' will not come again
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const refuse = (): void => {
      cleanup();
      reject(tooLarge());
    };
    const startDraining = (): void => {
      over = true;
      chunks.length = 0;
      timer = setTimeout(refuse, DRAIN_MS);
    };
    function onData(c: Buffer): void {
      size += c.length;
      if (!over && size > limit) startDraining();
      if (over) {
        if (size > DRAIN_BYTES) refuse();
        return;
      }
      chunks.push(c);
    }
    function onEnd(): void {
      if (over) return refuse();
      cleanup();
      resolve(Buffer.concat(chunks));
    }
    function onError(e: Error): void {
      cleanup();
      reject(e);
    }
    if (declared > limit) startDraining();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });

export const readJsonBody = async (req: IncomingMessage): Promise<unknown> => {
  const text = (await readRawBody(req)).toString('utf8');
  if (text.trim() === '') return {};
  try {
    // JSON.parse keeps "__proto__" as an own key, but a schema's parse copies objects by assignment,
    // which would turn it into the copy's prototype and drop it unseen: refused here, by name.
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__') throw new HttpError(400, '__proto__ is a JavaScript object key and cannot be a key of a request body');
      return value;
    }) as unknown;
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, `request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** A handler's answer with a status other than 200. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** Returned by a handler that wrote its response itself (streams). */
export const STREAMED = Symbol('streamed');

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
};

/** The stable code of an HTTP-level refusal. */
const httpErrorCode = (status: number): string => {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'too_large';
    default:
      return 'usage';
  }
};

/** The server's one error boundary: every failure becomes a JSON error with a stable code. */
export const sendError = (res: ServerResponse, thrown: unknown, mask: <T>(value: T) => T = (v) => v): void => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const e = diskFullError(thrown) ?? thrown;
  if (isSlipwayError(e)) {
    sendJson(res, httpStatusOf(e.code), mask({ error: { code: e.code, message: e.message, hint: e.hint, details: e.details } }));
  } else if (e instanceof HttpError) {
    sendJson(res, e.status, mask({ error: { code: httpErrorCode(e.status), message: e.message } }));
  } else {
    sendJson(res, 500, mask({ error: { code: 'internal', message: e instanceof Error ? e.message : String(e) } }));
  }
};

/** Reads an optional string field of a JSON object body, with a clear error for the wrong type. */
export const optionalString = (body: unknown, key: string): string | undefined => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SlipwayError('usage', 'request body must be a JSON object');
  const v = (body as Record<string, unknown>)[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new SlipwayError('usage', `"${key}" must be a non-empty string`);
  return v;
};

export const optionalBoolean = (body: unknown, key: string): boolean => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SlipwayError('usage', 'request body must be a JSON object');
  const v = (body as Record<string, unknown>)[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new SlipwayError('usage', `"${key}" must be true or false`);
  return v;
};
