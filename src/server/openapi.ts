// The OpenAPI 3.1 document of the control plane's API, built from the Router's own routes: each
// route's spec (summary, role, body and response schemas) is the one source of both the document
// and the validation of its body, so the two cannot disagree. Served at GET /v1/openapi.json.
import * as z from 'zod';
import type { RouteInfo } from './http.js';
import { VERSION } from '../version.js';

type Json = Record<string, unknown>;

/** The error every refusal carries (server/http.ts `sendError`). */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('A stable code: usage, config, not_found, conflict, refused, corrupt, failed, canceled, unavailable, unauthorized, forbidden, method_not_allowed, too_large, internal'),
      message: z.string().describe('What went wrong, for a person'),
      hint: z.string().optional().describe('What to do about it'),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

const ERRORS: Record<string, { name: string; description: string }> = {
  '400': { name: 'BadRequest', description: 'The request is malformed: a body of the wrong shape (the message names the field), a bad parameter' },
  '401': { name: 'Unauthorized', description: 'Missing, wrong, expired or revoked token' },
  '403': { name: 'Forbidden', description: "The token's role does not allow this route" },
  '404': { name: 'NotFound', description: 'No such route or no such thing' },
  '409': { name: 'Conflict', description: 'The thing is in a state that does not allow this (e.g. the environment is locked by another action)' },
  '413': { name: 'TooLarge', description: 'The body is larger than 1 MiB' },
};

/** `/v1/runs/:id` → `/v1/runs/{id}`. */
export const openApiPath = (pattern: string): string => pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

const paramsOf = (pattern: string): string[] => [...pattern.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');

const operationId = (method: string, pattern: string): string =>
  method.toLowerCase() +
  pattern
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') ? `By-${p.slice(1)}` : p))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

/** Points `$ref`s at the document's components instead of a schema's own `$defs`. */
const rebase = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(rebase);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rebase(v);
  return out;
};

/** A zod schema as JSON Schema for the document; its named parts (`.meta({ id })`) go to `components.schemas`. */
const schemaOf = (schema: z.ZodType, io: 'input' | 'output', components: Json): Json => {
  const out = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const node = ctx.jsonSchema as Json;
      // z.int() bounds itself to safe integers; that is noise in the document.
      if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
      if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
    },
  }) as Json;
  delete out.$schema;
  const defs = out.$defs as Json | undefined;
  delete out.$defs;
  for (const [k, v] of Object.entries(defs ?? {})) components[k] = rebase(v);
  return rebase(out) as Json;
};

const STREAM_TEXT = {
  sse: 'A stream of Server-Sent Events: `id:` on each, resumable with Last-Event-ID (docs/api.md)',
  ndjson: 'A stream of JSON objects, one a line',
  'sse-or-ndjson': 'Server-Sent Events when the request accepts text/event-stream (resumable with Last-Event-ID), else JSON objects one a line',
} as const;

const STREAM_MEDIA = { sse: ['text/event-stream'], ndjson: ['application/x-ndjson'], 'sse-or-ndjson': ['text/event-stream', 'application/x-ndjson'] } as const;

/** The OpenAPI 3.1 document of these routes. Routes without a spec are listed with a note saying so. */
export const openApiDocument = (routes: readonly RouteInfo[]): Json => {
  const schemas: Json = {};
  schemaOf(errorSchema, 'output', schemas);
  const paths: Record<string, Record<string, Json>> = {};
  const tags = new Set<string>();
  for (const r of routes) {
    const spec = r.spec;
    const path = openApiPath(r.pattern);
    const tag = spec?.tag ?? r.pattern.split('/').filter(Boolean)[1] ?? 'api';
    tags.add(tag);
    const parameters: Json[] = [
      ...paramsOf(r.pattern).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...Object.entries(spec?.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
    ];
    const status = String(spec?.status ?? 200);
    const success: Json = { description: spec?.stream ? STREAM_TEXT[spec.stream] : 'Success' };
    if (spec?.stream) success.content = Object.fromEntries(STREAM_MEDIA[spec.stream].map((m) => [m, { schema: { type: 'string' } }]));
    else success.content = { 'application/json': { schema: spec?.response ? schemaOf(spec.response, 'output', schemas) : { type: 'object' } } };
    const errors = r.hook ? ['400', '401', '404', '413'] : ['400', '401', '403', '404', '409', '413'];
    const op: Json = {
      operationId: operationId(r.method, r.pattern),
      summary: spec?.summary ?? 'Undocumented',
      ...(spec?.description ? { description: spec.description } : {}),
      tags: [tag],
      ...(parameters.length ? { parameters } : {}),
      ...(spec?.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body, 'input', schemas) } } } } : {}),
      responses: { [status]: success, ...Object.fromEntries(errors.map((e) => [e, { $ref: `#/components/responses/${ERRORS[e]?.name ?? ''}` }])) },
      // A hook checks its own credentials (a signature or the receiver's token), not the API token.
      ...(r.hook ? { security: [] } : {}),
      'x-slipway-role': r.hook ? 'none (checks its own credentials)' : r.role,
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Slipway control plane API',
      version: VERSION,
      description:
        'The JSON API of a Slipway control plane (version 1). Every route needs a bearer token (the home’s own token or one from `slipway tokens create`) whose role allows it: `x-slipway-role` names the least role of each operation (read < deploy < admin). Errors are `{"error": {"code", "message"}}`. See docs/api.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The home’s token, or an `slw_…` token from `slipway tokens create`' } },
      schemas,
      responses: Object.fromEntries(Object.values(ERRORS).map((e) => [e.name, { description: e.description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
    },
  };
};
