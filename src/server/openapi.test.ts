// The OpenAPI document against the implementation: given the control plane's router (every route
// buildRoutes registers), when its document is built, then it is an OpenAPI 3.1 document whose
// every $ref resolves, every route is documented, every documented operation is a route, and a
// route's body is checked by the very schema the document shows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from 'zod';
import type { Engine } from '../engine/engine.js';
import type { TokenStore } from '../ports/tokens.js';
import { Router, describeZodError, type Request } from './http.js';
import { openApiDocument, openApiPath } from './openapi.js';
import { buildRoutes, type ServerInfo } from './routes.js';

/** Something that answers every property read and call with itself: enough to register the routes. */
const stub = (): unknown => {
  const f: unknown = new Proxy(() => f, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : f), apply: () => f });
  return f;
};

const router = (): Router => buildRoutes(stub() as Engine, stub() as ServerInfo, () => undefined, stub() as TokenStore);

type Json = Record<string, unknown>;

/** Every `$ref` in a document, with where it was found. */
const refsOf = (node: unknown, at = '#'): { ref: string; at: string }[] => {
  if (Array.isArray(node)) return node.flatMap((v, i) => refsOf(v, `${at}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Json).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [{ ref: v, at }] : refsOf(v, `${at}/${k}`)));
};

/** A local JSON pointer (`#/components/schemas/Error`) resolved in `doc`, or undefined. */
const resolvePointer = (doc: unknown, ref: string): unknown => {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('the OpenAPI document', () => {
  const doc = openApiDocument(router().list()) as {
    openapi: string;
    info: { title: string; version: string };
    paths: Record<string, Record<string, Json & { responses?: Json; parameters?: { name: string; in: string }[]; operationId?: string; summary?: string }>>;
    components: { securitySchemes: Json; schemas: Json; responses: Json };
  };

  test('has the shape of OpenAPI 3.1: openapi, info, paths, components, a bearer scheme', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.info.title && doc.info.version);
    assert.ok(Object.keys(doc.paths).length > 0);
    assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer && (doc.components.securitySchemes.bearer as Json).description });
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.match(path, /^\/v1\//, path);
      for (const [method, op] of Object.entries(item)) {
        assert.ok(METHODS.includes(method), `${method} ${path}: not an HTTP method`);
        assert.ok(op.summary, `${method} ${path}: no summary`);
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path}: no responses`);
        assert.ok(typeof op['x-slipway-role'] === 'string', `${method} ${path}: no x-slipway-role`);
        assert.ok(op.operationId && !ids.has(op.operationId), `${method} ${path}: operationId "${op.operationId ?? ''}" missing or repeated`);
        ids.add(op.operationId);
        // Every {param} of the path is declared, and nothing else is declared "in: path".
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(declared.sort(), inPath.sort(), `${method} ${path}: path parameters`);
      }
    }
  });

  test('every $ref resolves', () => {
    const refs = refsOf(doc);
    assert.ok(refs.length > 0);
    for (const { ref, at } of refs) assert.notEqual(resolvePointer(doc, ref), undefined, `${ref} (at ${at}) does not resolve`);
  });

  test('every route the server registers is documented', () => {
    const missing = router()
      .list()
      .filter((r) => r.spec === undefined)
      .map(
        (r) =>
          `${r.method} ${r.pattern} has no documentation. Give its registration a spec as the last argument, e.g.\n` +
          `    r.${r.hook ? 'hook' : 'on'}('${r.method}', '${r.pattern}', handler, { summary: 'What it does'${r.hook ? '' : `, role: '${r.role}'`}${r.method === 'GET' ? '' : ', body: z.strictObject({ … })'} })\n` +
          '  (src/server/http.ts RouteSpec; docs/api.md "Adding a route").',
      );
    assert.deepEqual(missing, [], `\n${missing.join('\n')}`);
  });

  test('every documented operation is a route the server matches, with the same role', () => {
    const r = router();
    const routes = new Map(r.list().map((x) => [`${x.method} ${openApiPath(x.pattern)}`, x]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const route = routes.get(`${method.toUpperCase()} ${path}`);
        assert.ok(route, `the document has ${method.toUpperCase()} ${path}, which the server does not register`);
        assert.equal(op['x-slipway-role'], route.hook ? 'none (checks its own credentials)' : route.role, `${method} ${path}`);
        const concrete = path.replace(/\{[^}]+\}/g, 'x1');
        if (route.hook) assert.ok(r.hookAt(method.toUpperCase(), path), `${method} ${path}`);
        else assert.equal(typeof r.match(method.toUpperCase(), concrete), 'object', `${method} ${concrete} does not match`);
      }
    }
    assert.equal([...routes.keys()].length, Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0), 'as many operations as routes');
  });

  test("a route's request body in the document is its validation schema", () => {
    for (const route of router().list()) {
      if (!route.spec?.body) continue;
      const op = doc.paths[openApiPath(route.pattern)]?.[route.method.toLowerCase()] as { requestBody?: { content: Record<string, { schema: Json }> } } | undefined;
      const shown = op?.requestBody?.content['application/json']?.schema;
      assert.ok(shown, `${route.method} ${route.pattern}: no requestBody`);
      const own = z.toJSONSchema(route.spec.body, { io: 'input' }) as Json;
      assert.deepEqual(Object.keys(shown.properties ?? {}).sort(), Object.keys(own.properties ?? {}).sort(), `${route.method} ${route.pattern}: documented fields`);
      assert.deepEqual(shown.required ?? [], own.required ?? [], `${route.method} ${route.pattern}: required fields`);
    }
  });
});

describe('a route with a body schema', () => {
  const r = new Router();
  let seen: unknown;
  r.on('POST', '/v1/things', async (req) => ({ got: (seen = await req.body()) }), { summary: 'Make a thing', body: z.strictObject({ env: z.string().min(1), to: z.int().min(1).optional() }) });
  const call = (body: unknown): Promise<unknown> => {
    const m = r.match('POST', '/v1/things');
    assert.ok(m && m !== 'method');
    const req: Request = { method: 'POST', path: '/v1/things', params: m.params, query: new URLSearchParams(), raw: undefined as never, body: () => Promise.resolve(body) };
    return m.handler(req, undefined as never);
  };

  test('answers the parsed body to its handler', async () => {
    assert.deepEqual(await call({ env: 'prod', to: 2 }), { got: { env: 'prod', to: 2 } });
    assert.deepEqual(seen, { env: 'prod', to: 2 });
  });

  test('refuses a body of the wrong shape with a 400 naming the field, before the handler sees it', async () => {
    seen = undefined;
    const cases: [unknown, RegExp][] = [
      [{}, /"env"/],
      [{ env: 3 }, /"env" must be a string/],
      [{ env: '' }, /"env"/],
      [{ env: 'prod', to: 0 }, /"to"/],
      [{ env: 'prod', to: 1.5 }, /"to"/],
      [{ env: 'prod', extra: true }, /"extra" is not accepted \(unknown field; the fields are "env", "to"\)/],
      [[], /request body/],
      ['prod', /request body/],
    ];
    for (const [body, message] of cases) {
      await assert.rejects(call(body), (e: Error & { status?: number }) => e.status === 400 && message.test(e.message), JSON.stringify(body));
    }
    assert.equal(seen, undefined);
  });

  test('describes zod issues as one line each, with the path', () => {
    const e = z.strictObject({ a: z.object({ b: z.string() }) }).safeParse({ a: { b: 1 } }).error;
    assert.ok(e);
    assert.match(describeZodError(e), /^"a\.b" /);
  });
});
