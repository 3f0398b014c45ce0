// The zod schema of slipway.yaml as people write it (friendly shapes, strings with units). It gives
// validation, the editors' JSON Schema and the reference docs; normalise.ts turns its output into types.ts.

import * as z from 'zod';
import { DEFAULTS } from './defaults.js';
import {
  CHECK_EXPECTED,
  DURATION_EXPECTED,
  DURATION_PATTERN,
  ENV_KEY_PATTERN,
  NAME_PATTERN,
  PERCENT_EXPECTED,
  PERCENT_PATTERN,
  SIZE_EXPECTED,
  SIZE_PATTERN,
  STEP_NAME_PATTERN,
  parseCheckExpression,
  parsePercent,
  parseSize,
} from './values.js';
import { gateRefinement } from './gate-rules.js';
import { alertmanagerSchema, alertsSchema, notificationsSchema, prometheusSchema } from './schema-monitoring.js';
import { QUERY_PLACEHOLDERS, unknownPlaceholders } from '../core/verification/promql.js';
import { SECRET_NAME_PATTERN } from '../core/secrets/names.js';
import { ENV_NAME_EXPECTED, ENV_NAME_PATTERN, MAX_ENV_NAME } from '../core/env-name.js';
import { KEEP_KINDS } from '../core/artifact/lean.js';
import { checkDomain, DOMAIN_EXPECTED } from '../core/edge/domain.js';
import { parseRegistry } from '../core/image/oci.js';

// Convention: an `error` given to a schema here describes what was *expected*; load.ts writes the
// message itself ("unknown key", "expected list, got string") and shows this text under it.

const duration = (description: string, def?: string, defaultFrom?: string) =>
  z
    .union([z.string().regex(DURATION_PATTERN, DURATION_EXPECTED), z.int().min(0, DURATION_EXPECTED)], {
      error: DURATION_EXPECTED,
    })
    .meta({
      title: 'duration',
      description,
      ...(def === undefined ? {} : { default: def }),
      ...(defaultFrom === undefined ? {} : { defaultFrom }),
    });

const percent = (description: string, def?: string) =>
  z
    .union(
      [
        z
          .string()
          .regex(PERCENT_PATTERN, PERCENT_EXPECTED)
          .refine((s) => parsePercent(s).ok, { message: 'more than 100%', params: { expected: PERCENT_EXPECTED } }),
        z.number().min(0, PERCENT_EXPECTED).max(1, PERCENT_EXPECTED),
      ],
      { error: PERCENT_EXPECTED },
    )
    .meta({ title: 'percentage', description, ...(def === undefined ? {} : { default: def }) });

/** Smallest and largest `retention.log_max_bytes`: a log rotated every few lines helps nobody. */
export const LOG_MAX_BYTES = { min: 1024, max: 1024 ** 4 } as const;
const SIZE_RANGE = `${SIZE_EXPECTED}; between 1KiB and 1TiB`;
const size = (description: string, def?: string) =>
  z
    .union([z.string().regex(SIZE_PATTERN, SIZE_EXPECTED), z.int().min(0, SIZE_EXPECTED)], { error: SIZE_EXPECTED })
    .refine((v) => {
      // A value that is not a size at all is the union's error; this one says only the range.
      const r = parseSize(v);
      return !r.ok || (r.value >= LOG_MAX_BYTES.min && r.value <= LOG_MAX_BYTES.max);
    }, { message: 'out of range', params: { expected: SIZE_RANGE } })
    .meta({ title: 'size', description, ...(def === undefined ? {} : { default: def }) });

const envName = z.string().regex(ENV_KEY_PATTERN, 'a variable name: letters, digits and _, not starting with a digit');
const envMap = (description: string) =>
  z
    .record(envName, z.union([z.string(), z.number(), z.boolean()], { error: 'a string, number or boolean' }))
    .meta({ title: 'map of variables', description });
// The same names `slipway secrets set` accepts, so that a declared secret can always be set.
const secretName = z.string().regex(SECRET_NAME_PATTERN, 'a secret name as `slipway secrets set` takes it: upper-case letters, digits and _, not starting with a digit');
const secretNames = (description: string) =>
  z.array(secretName).meta({ title: 'list of secret names', description });

const stepName = z.string().regex(STEP_NAME_PATTERN, 'a step name: lowercase letters, digits, - and _');
const environmentName = z.string().max(MAX_ENV_NAME, `an environment name: ${ENV_NAME_EXPECTED}`).regex(ENV_NAME_PATTERN, `an environment name: ${ENV_NAME_EXPECTED}`);

const auditSchema = z.union(
  [
    z.literal(true),
    z.strictObject({
      severity: z
        .enum(['low', 'moderate', 'high', 'critical'])
        .optional()
        .meta({ description: 'Lowest severity that fails the gate.', default: DEFAULTS.audit.severity }),
      database: z
        .string()
        .min(1)
        .optional()
        .describe('Offline OSV database: a directory or zip of OSV JSON records (relative to the repository).'),
      ignore: z
        .array(
          z.strictObject({
            id: z.string().min(1).describe('Advisory id, e.g. GHSA-xxxx-xxxx-xxxx.'),
            reason: z.string().min(1).describe('Why this advisory does not apply; recorded in the audit trail.'),
            expires: z
              .string()
              .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
              .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'not a real date', params: { expected: 'a real date written YYYY-MM-DD' } })
              .meta({ title: 'date', description: 'Date (YYYY-MM-DD) after which the entry stops applying.' }),
          }),
        )
        .optional()
        .describe('Advisories to ignore, each with a reason and an expiry date.'),
    }),
  ],
  { error: 'true, or { severity, database, ignore }' },
);

const gateSchema = z
  .strictObject({
    run: z.string().min(1).optional().describe('Shell command of a command or benchmark gate; exit status 0 passes.'),
    scan: z
      .union([z.literal(true), z.strictObject({ allowlist: z.string().min(1).describe('File of allowed findings, each with a reason.') })], {
        error: 'true, or { allowlist: <path> }',
      })
      .optional()
      .describe('Built-in secret scanner over the source tree and the artifact.'),
    audit: auditSchema.optional().describe('Built-in dependency audit of the lockfile against an offline OSV database.'),
    compare: z
      .literal('baseline', 'baseline')
      .optional()
      .describe('Makes a `run` gate a benchmark: its samples are compared with the baseline of main.'),
    max_regression: percent('Largest tolerated slowdown of a benchmark against the baseline.', DEFAULTS.bench.max_regression).optional(),
    needs: z
      .array(stepName)
      .optional()
      .meta({ title: 'list of step names', description: 'Steps this gate waits for; `[]` to start at once.', default: [...DEFAULTS.gate.needs] }),
    timeout: duration('Longest the gate may run.', undefined, 'pipeline.timeout').optional(),
    retries: z
      .int()
      .min(0)
      .max(10)
      .optional()
      .meta({ description: 'Extra attempts for a flaky command gate.', default: DEFAULTS.gate.retries }),
    env: envMap('Non-secret environment variables of the command.').optional(),
    secrets: secretNames('Secrets (set with `slipway secrets set`) injected into the command.').optional(),
  })
  .superRefine(gateRefinement)
  .meta({ description: 'A gate: exactly one of `run`, `scan` or `audit` (a `run` with `compare: baseline` is a benchmark).', gateKinds: true });

const checkSchema = z.union(
  [
    z
      .string()
      .superRefine((s, ctx) => {
        const r = parseCheckExpression(s);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, params: { expected: r.expected, hint: r.hint } });
      })
      .meta({ title: 'check expression', description: '`<metric> <op> <value>`, e.g. `error_rate < 1%`, `p99_latency < 300ms`.' }),
    z
      .strictObject({
        compare: z.literal('baseline', 'baseline').describe('Canary against the stable release, with a Mann–Whitney U test.'),
        metric: z
          .enum(['latency', 'error_rate'])
          .optional()
          .meta({ description: 'What to compare.', default: DEFAULTS.baseline.metric }),
        min_effect: percent('Smallest difference that counts as a regression.', DEFAULTS.baseline.min_effect).optional(),
        confidence: percent('Confidence required before declaring a difference.', DEFAULTS.baseline.confidence).optional(),
      })
      .describe('Statistical comparison of the canary against the baseline.'),
    z
      .strictObject({
        prometheus: z
          .string()
          .min(1)
          .superRefine((q, ctx) => {
            const unknown = unknownPlaceholders(q);
            if (unknown.length > 0) {
              ctx.addIssue({
                code: 'custom',
                message: `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')} in the query`,
                params: { expected: `placeholders among ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` },
              });
            }
          })
          .describe('PromQL returning one number; `{{release}}` (e.g. v3), `{{env}}`, `{{digest}}` and `{{app}}` (the app on a server, empty in local mode) are replaced.'),
        below: z.number().optional().describe('The check passes while the result is below this.'),
        above: z.number().optional().describe('The check passes while the result is above this.'),
      })
      .superRefine((v, ctx) => {
        if ((v.below === undefined) === (v.above === undefined)) {
          ctx.addIssue({
            code: 'custom',
            message: v.below === undefined ? 'a prometheus check needs a bound' : 'give only one of below and above',
            params: { expected: 'exactly one of below: <number> or above: <number>', missing: ['below', 'above'] },
          });
        }
      })
      .describe('A PromQL query against a real Prometheus.'),
  ],
  { error: `${CHECK_EXPECTED}, or { compare: baseline }, or { prometheus: <query>, below: <number> }` },
);

const verifySchema = z.union(
  [
    z.boolean(),
    z.strictObject({
      window: duration('How long the new release is watched before the deployment succeeds.', DEFAULTS.verify.window).optional(),
      interval: duration('Time between two measurements.', DEFAULTS.verify.interval).optional(),
      failure_limit: z
        .int()
        .min(0)
        .optional()
        .meta({ description: 'Breaching measurements tolerated; one more fails the verification.', default: DEFAULTS.verify.failure_limit }),
      min_samples: z
        .int()
        .min(0)
        .optional()
        .meta({ description: 'Requests needed before a measurement is conclusive.', default: DEFAULTS.verify.min_samples }),
      inconclusive: z
        .enum(['extend', 'fail', 'probe'])
        .optional()
        .meta({ description: 'Too little traffic: wait longer, fail, or send synthetic probes.', default: DEFAULTS.verify.inconclusive }),
      checks: z
        .array(checkSchema)
        .min(1, 'at least one check (or `verify: false` to turn verification off)')
        .optional()
        .meta({ description: 'What must hold during the window.', default: [...DEFAULTS.verify.checks] }),
      probe: z
        .strictObject({
          path: z
            .string()
            .regex(/^\/\S*$/, 'a path starting with / and without spaces')
            .optional()
            .meta({ description: 'Path the synthetic probes request.', defaultFrom: 'run.health.path' }),
          method: z
            .enum(['GET', 'HEAD'])
            .optional()
            .meta({ description: 'Method of the synthetic probes: GET or HEAD, methods that change nothing.', default: DEFAULTS.verify.probe.method }),
        })
        .optional()
        .describe('The synthetic requests sent to the new release when there is too little traffic to judge (`inconclusive: probe`).'),
    }),
  ],
  { error: 'false, true, or { window, interval, failure_limit, min_samples, inconclusive, checks, probe }' },
);

const strategySchema = z.union(
  [
    z.literal('blue-green'),
    z.strictObject({
      canary: z.array(percent('Share of traffic at this step.')).min(1).describe('Traffic steps, increasing, ending at 100%.'),
      pause: duration('Time at each step before the next one.', DEFAULTS.canary.pause).optional(),
    }),
  ],
  { error: 'one of blue-green, { canary: [...] }' },
);

/** A host's name in `hosts:`: what events, status and errors call it. */
export const HOST_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST_NAME_EXPECTED = 'a host name: lower-case letters, digits and -, at most 63, not starting or ending with -';

/** `unix:///absolute/path` of a socket, as the control plane reaches a host's engine or proxy. */
const socketUrl = (what: string, example: string) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const expected = `unix:///absolute/path, e.g. ${example}`;
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
      if (scheme === 'ssh' || scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
        ctx.addIssue({ code: 'custom', message: `${what} over ${scheme}:// is not supported: Slipway reaches a host through a unix socket`, params: { expected, hint: `forward the host's socket over SSH (ssh -L /run/slipway/web-1.sock:/run/docker.sock deploy@web-1, docs/containers.md) and name the local end: ${example}` } });
      } else if (scheme !== 'unix') {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a unix:// socket URL`, params: { expected } });
      } else if (!/^unix:\/\/\/[^\0\s]*[^/\0\s]$/.test(v) || v.split('/').includes('..')) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} does not name an absolute socket path`, params: { expected } });
      } else if (Buffer.byteLength(v.slice('unix://'.length)) > 107) {
        ctx.addIssue({ code: 'custom', message: 'the socket path is longer than the 107 bytes a unix socket path may have', params: { expected } });
      }
    })
    .meta({ title: 'unix:///path' });

const hostSchema = z.strictObject({
  name: z.string().max(63, HOST_NAME_EXPECTED).regex(HOST_NAME_PATTERN, HOST_NAME_EXPECTED).meta({ title: 'host name', description: 'What events, status and errors call the host.' }),
  docker: socketUrl('the Docker Engine', 'unix:///run/slipway/web-1/docker.sock').describe('The host\'s Docker Engine API socket, as the control plane reaches it (`unix:///path`; a remote host\'s socket forwarded over SSH).'),
  proxy: socketUrl('the proxy', 'unix:///run/slipway/web-1/proxy.sock').describe('The admin socket of the host\'s Slipway proxy (`slipway proxy --admin-socket PATH` on the host), as the control plane reaches it.'),
});

const environmentSchema = z
  .strictObject({
    port: z.int().min(1).max(65535).optional().describe('Port of the environment on the edge proxy.'),
    domains: z
      .array(
        z
          .string()
          .superRefine((d, ctx) => {
            const r = checkDomain(d);
            if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, params: { expected: DOMAIN_EXPECTED } });
          })
          .meta({ title: 'domain' }),
      )
      .optional()
      .meta({
        title: 'list of domains',
        description:
          'Host names this environment answers on the proxy\'s shared listeners (`slipway proxy --http/--https`), e.g. `[shop.example.com, "*.shop.example.com"]`: lower-case DNS names, a wildcard only as the leftmost label (it covers every name below its parent; an exact name wins over a wildcard, a longer wildcard over a shorter one). A domain belongs to one environment only. Requests for a host no environment claims are answered 421 and routed nowhere. The environment keeps its own port as well.',
      }),
    deploy: z
      .enum(['auto', 'manual'])
      .optional()
      .meta({ description: '`auto`: every green commit of main (or promotion) is deployed.', default: DEFAULTS.environment.deploy }),
    promote_from: environmentName
      .optional()
      .meta({ title: 'environment name', description: 'Environment whose verified digests are the only ones accepted here.' }),
    approval: z
      .enum(['none', 'required'])
      .optional()
      .meta({
        description:
          '`required`: each deployment (a deploy, a promotion, an automatic deploy, a config change; not a rollback) waits in `awaiting_approval`, with nothing started, until a person with the deploy role other than its requester runs `slipway approve dN` or `slipway reject dN`. Other deploys to the environment are refused meanwhile; the requester may withdraw it (cancel).',
        default: DEFAULTS.environment.approval,
      }),
    approval_timeout: duration('With `approval: required`: a deployment nobody decided on within this time is rejected (recorded, by `slipway`). Unset: it waits until someone decides.').optional(),
    strategy: strategySchema.optional().meta({ description: 'How traffic moves to the new release.', default: DEFAULTS.environment.strategy }),
    verify: verifySchema.optional().describe('Verification after cutover; `false` turns it off. Defaults are listed below.'),
    rollback: z
      .enum(['auto', 'manual'])
      .optional()
      .meta({ description:
          '`auto`: a failed verification rolls back at once. `manual`: the release is held, serving at its current step (routes unchanged), with the evidence recorded, until `slipway rollback ENV` undoes it or `slipway deploy ENV --continue` carries on; other deploys to the environment are refused meanwhile. A cancel by a person, an alert or an error still rolls back at once.', default: DEFAULTS.environment.rollback }),
    runtime: z
      .enum(['process', 'docker'])
      .optional()
      .meta({
        description:
          'What runs the instances: `process`, supervised processes on this machine, or `docker`, containers on the Docker Engine (its socket: `DOCKER_HOST=unix://…` of the control plane, else /run/docker.sock), started from the image of `build.image` by digest, on the host network. `docker` needs `build.image: true`.',
        default: DEFAULTS.environment.runtime,
      }),
    hosts: z
      .array(hostSchema)
      .min(1, 'at least one host (or no hosts: at all, to run on this machine\'s engine)')
      .optional()
      .meta({
        title: 'list of hosts',
        description:
          'With `runtime: docker` and a `port`: the machines the environment runs on, each `{ name, docker, proxy }`, each running `instances` containers and its own Slipway proxy listening on `port`. A deployment rolls out host by host in this order: the first host must start its instances and pass their health check before any other host is touched (the barrier), and the routes switch on each host\'s proxy in the same order. docs/containers.md says what each host needs.',
      }),
    on_host_down: z
      .enum(['wait', 'skip', 'rollback'])
      .optional()
      .meta({
        description:
          'With `hosts`: what a deployment does when a host\'s engine or proxy does not answer. `rollback`: it fails, the hosts already started or switched are put back, and the previous release serves everywhere. `wait`: it tries the host again up to `run.health.start_timeout`, then does as `rollback`. `skip`: the host is left as it is (it keeps serving what it served) and the others go on. Every host that was down is named in the deployment\'s events.',
        default: 'rollback',
      }),
    instances: z.int().min(1).optional().meta({ description: 'Instances in this environment (on each host, with `hosts`).', defaultFrom: 'run.instances' }),
    env: envMap('Non-secret configuration defaults; `slipway config set` overrides them.').optional(),
    alerts: alertsSchema.optional(),
  })
  .nullable()
  .describe('An environment; an empty one takes every default.');

export const configSchema = z
  .strictObject({
    app: z.string().regex(NAME_PATTERN, 'an app name: lowercase letters, digits and -').describe('Name of the app.'),
    pipeline: z
      .strictObject({
        concurrency: z
          .int()
          .min(1)
          .optional()
          .meta({ description: 'Most steps running at once.', default: DEFAULTS.pipeline.concurrency }),
        timeout: duration('Default timeout of a step.', DEFAULTS.pipeline.timeout).optional(),
      })
      .optional()
      .describe('Settings of the whole pipeline.'),
    build: z
      .strictObject({
        run: z.string().min(1).optional().describe('Shell command run once in a clean checkout.'),
        artifact: z
          .array(z.string().min(1))
          .min(1, 'at least one path, e.g. [dist/, package.json]')
          .meta({ title: 'list of paths', description: 'Files and directories (relative to the repository) packed into the artifact.' }),
        timeout: duration('Longest the build may run.', undefined, 'pipeline.timeout').optional(),
        env: envMap('Non-secret environment variables of the build.').optional(),
        secrets: secretNames('Secrets injected into the build command.').optional(),
        keep: z
          .array(z.enum(KEEP_KINDS))
          .optional()
          .meta({
            title: 'list of source-maps, tests, native-build-files',
            description:
              'What the artifact keeps of what it leaves out by default, inside a listed directory: source maps (`*.map`), tests (directories `test/`, `tests/`, `__tests__/`, but not a package of that name directly in `node_modules/`; files `*.test.js`, `*.spec.ts` and the like, for js, mjs, cjs, jsx, ts, tsx) and node-gyp\'s intermediate build files (`Makefile`, `config.gypi`, `*.mk` in a package\'s `build/` in `node_modules/`, and its `build/Release/obj.target/`, `.deps/`; the compiled `build/Release/*.node` stays). A path listed in `artifact` itself is always packed.',
          }),
        image: z
          .boolean()
          .optional()
          .meta({
            description:
              '`true`: the build step also makes an OCI image of the artifact (its base layer: the Node.js the control plane builds with; no base image is pulled), reproducible from the commit, pushes it to `build.registry` by digest and signs its provenance; environments with `runtime: docker` run it. A registry that is down or refuses the push fails the build step, so no release is made.',
            default: false,
          }),
        registry: z
          .string()
          .superRefine((r, ctx) => {
            const p = parseRegistry(r);
            if (!p.ok) ctx.addIssue({ code: 'custom', message: p.message, params: { expected: 'host[:port]/repository, e.g. registry.example.com/team/shop' } });
          })
          .optional()
          .meta({ title: 'host[:port]/repository', description: 'With `image: true`: where the image is pushed, e.g. `registry.example.com/team/shop`. HTTPS; plain HTTP only to a registry on 127.0.0.1 or localhost. Images are pushed and named by digest, never by tag.' }),
        dockerfile: z
          .string()
          .optional()
          .meta({ description: 'Not supported yet: a `Dockerfile` build is refused (its digest would not be reproducible from the commit). Use `image: true`.' }),
      })
      .superRefine((b, ctx) => {
        // Each key works or is refused: none is accepted to do nothing.
        if (b.dockerfile !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['dockerfile'], message: 'building the image from a Dockerfile is not supported yet: its digest would not be reproducible from the commit', params: { hint: 'remove build.dockerfile and set `image: true` with `registry:`: the image is made from the artifact, the same digest on every build of the commit' } });
        }
        if (b.image === true && b.registry === undefined) {
          ctx.addIssue({ code: 'custom', path: ['image'], message: 'build.image: true needs build.registry, where the image is pushed', params: { hint: 'add `registry: host[:port]/repository`, e.g. registry.example.com/team/shop' } });
        }
        if (b.image !== true && b.registry !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['registry'], message: 'build.registry does nothing without build.image: true', params: { hint: 'add `image: true` to build, or remove registry' } });
        }
      })
      .describe('The build, run once per commit; its artifact is what every environment runs.'),
    gates: z.record(stepName, gateSchema).nullable().optional().describe('Gates, by step name; `build` is reserved.'),
    run: z
      .strictObject({
        command: z.string().min(1).optional().describe('How to start one instance; PORT is injected. Required with environments.'),
        instances: z.int().min(1).optional().meta({ description: 'Instances per environment.', default: DEFAULTS.run.instances }),
        health: z
          .strictObject({
            path: z.string().startsWith('/', 'a path starting with /').optional().meta({ description: 'HTTP path probed.', default: DEFAULTS.health.path }),
            interval: duration('Time between probes.', DEFAULTS.health.interval).optional(),
            timeout: duration('Longest a probe may take.', DEFAULTS.health.timeout).optional(),
            start_timeout: duration('Longest a new instance may take to become healthy.', DEFAULTS.health.start_timeout).optional(),
          })
          .optional()
          .describe('Health probe of each instance.'),
        stop_grace: duration('Time between SIGTERM and SIGKILL.', DEFAULTS.run.stop_grace).optional(),
      })
      .optional()
      .describe('How the artifact runs in an environment.'),
    environments: z.record(environmentName, environmentSchema).nullable().optional().describe('Deployment targets, by name.'),
    prometheus: prometheusSchema.optional(),
    alertmanager: alertmanagerSchema.optional(),
    notifications: notificationsSchema.optional(),
    retention: z
      .strictObject({
        releases: z
          .int()
          .min(1, 'a whole number of at least 1')
          .max(10_000, 'a whole number of at most 10000')
          .optional()
          .meta({ description: 'Releases kept per environment, newest first, with the artifacts they run; the current, the previous and any in-flight release are kept besides. Older releases stay in the history, but their artifact and unpacked directory are removed by `slipway gc`, so that they can no longer be rolled back to.', default: DEFAULTS.retention.releases }),
        pin: z
          .array(z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a full artifact digest, sha256:<64 hex>'))
          .optional()
          .meta({ title: 'list of digests', description: 'Artifacts `slipway gc` never removes, by full digest.' }),
        gc_every: duration('How often the control plane runs `slipway gc` on its own; 0 turns it off.', DEFAULTS.retention.gc_every).optional(),
        min_age: duration('Nothing younger than this is removed by `slipway gc` (artifacts, release and work directories), whatever else the policy says: a build may be storing it right now.', DEFAULTS.retention.min_age).optional(),
        logs_days: z
          .int()
          .min(1, 'a whole number of days, at least 1')
          .max(3650, 'a whole number of days, at most 3650')
          .optional()
          .meta({ description: 'Days a log is kept after its last line: `slipway gc` removes older rotated logs, the logs of instances that no longer run, and the step output of runs that finished before (their run stays in the history, with a line saying the output expired). Nothing in flight loses its log.', default: DEFAULTS.retention.logs_days }),
        log_max_bytes: size('Size at which a log file is rotated (to `FILE.1`, the older ones shifted to `.2`, `.3`…): instance logs by the runtime as they are written, the control plane\'s and the proxy\'s logs by gc. `slipway logs ENV` reads the rotated files too.', DEFAULTS.retention.log_max_bytes).optional(),
      })
      .optional()
      .describe('What `slipway gc` keeps (docs/operations.md); the control plane reads it from slipway.yaml at HEAD.'),
  })
  .describe('slipway.yaml');

/** slipway.yaml as written, after validation and before normalising. */
export type FriendlyConfig = z.infer<typeof configSchema>;
export type FriendlyGate = z.infer<typeof gateSchema>;
export type FriendlyCheck = z.infer<typeof checkSchema>;
export type FriendlyEnvironment = NonNullable<z.infer<typeof environmentSchema>>;
