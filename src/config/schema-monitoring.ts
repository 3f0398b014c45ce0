// The monitoring keys of slipway.yaml: where Prometheus is, how Alertmanager authenticates, which
// alerts belong to an environment, and outgoing notifications. Part of schema.ts, kept apart so
// each file stays small; normalise-monitoring.ts turns them into types.ts shapes.

import * as z from 'zod';
import { DEFAULTS } from './defaults.js';
import { DURATION_EXPECTED, DURATION_PATTERN } from './values.js';

const duration = (description: string, def: string) =>
  z
    .union([z.string().regex(DURATION_PATTERN, DURATION_EXPECTED), z.int().min(0, DURATION_EXPECTED)], { error: DURATION_EXPECTED })
    .meta({ title: 'duration', description, default: def });

/** The name of an environment variable of `slipway server` that holds a secret value. */
/**
 * The name of a variable of the server's environment. Only `SLIPWAY_*` names: slipway.yaml comes
 * from any pusher, and must not be able to point a signature or a token check at another of the
 * server's variables (a cloud key) and use it as an oracle; Slipway's own master key variables
 * are excluded for the same reason.
 */
export const SERVER_SECRET_VARIABLE = /^SLIPWAY_(?!MASTER_KEY(?:_FILE)?$)[A-Z0-9_]+$/;
const secretVariable = (description: string) =>
  z
    .string()
    .regex(SERVER_SECRET_VARIABLE, 'the name of an environment variable starting with SLIPWAY_ (upper-case letters, digits and _, e.g. SLIPWAY_HOOK_SECRET; not SLIPWAY_MASTER_KEY), not the secret itself')
    .meta({ title: 'variable name', description: `${description} Must start with \`SLIPWAY_\`.` });

const httpUrl = (description: string) =>
  z
    .string()
    .refine((s) => /^https?:\/\/[^\s/]+/.test(s) && URL.canParse(s), {
      message: 'not an http(s) URL',
      params: { expected: 'an http:// or https:// URL, e.g. http://127.0.0.1:9090' },
    })
    .meta({ title: 'URL', description });

export const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** `/…/` marks a regular expression; it must match the whole label value, as in Alertmanager. */
export const REGEX_VALUE = /^\/(.+)\/$/s;

const matcherValue = z
  .string()
  .superRefine((s, ctx) => {
    const m = REGEX_VALUE.exec(s);
    if (!m) return;
    try {
      new RegExp(`^(?:${m[1] ?? ''})$`);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid regular expression ${s}: ${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}`,
        params: { expected: 'a label value, or /regex/ matching the whole value' },
      });
    }
  })
  .meta({ title: 'label value or /regex/' });

export const alertsSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject({
        match: z
          .record(z.string().regex(LABEL_NAME_PATTERN, 'a Prometheus label name: letters, digits and _'), matcherValue)
          .optional()
          .meta({
            title: 'map of label matchers',
            description: 'Labels a firing alert must carry to belong here: a value, or /regex/ for the whole value. Default: `env: <environment name>`.',
          }),
        protect: duration('After a deploy, how long a matching alert rolls the environment back (later ones are recorded and notified).', DEFAULTS.alerts.protect).optional(),
      }),
    ],
    { error: 'false, or { match, protect }' },
  )
  .describe('Alertmanager alerts that belong to this environment; `false` ignores every alert.');

export const NOTIFICATION_EVENTS = ['succeeded', 'failed', 'rolled_back', 'held'] as const;

export const notificationsSchema = z
  .array(
    z.strictObject({
      url: httpUrl('Where the JSON body is POSTed.'),
      events: z
        .array(z.enum(NOTIFICATION_EVENTS))
        .min(1, 'at least one event')
        .optional()
        .meta({ title: 'list of events', description: 'Deployment outcomes sent to this URL.', default: [...NOTIFICATION_EVENTS] }),
      secret_env: secretVariable(
        'Environment variable of `slipway server` holding the HMAC key; each body is signed in `X-Slipway-Signature: sha256=<hex>`.',
      ).optional(),
    }),
  )
  .describe('Outgoing webhooks on deployment outcomes, signed, retried with backoff, never blocking a deployment.');

export const prometheusSchema = z
  .strictObject({
    url: httpUrl('Base URL of the Prometheus HTTP API that `prometheus:` checks query.').optional().meta({ default: DEFAULTS.prometheus.url }),
    timeout: duration('Longest a query may take; a slower one is a measurement in error.', DEFAULTS.prometheus.timeout).optional(),
  })
  .describe('The Prometheus that `prometheus:` checks query.');

export const alertmanagerSchema = z
  .strictObject({
    token_env: secretVariable('Environment variable of `slipway server` holding the bearer token Alertmanager sends.').optional(),
    secret_env: secretVariable('Environment variable of `slipway server` holding the HMAC key of `X-Slipway-Signature` (over `<X-Slipway-Timestamp>.<body>`, docs/verification.md).').optional(),
  })
  .describe('How the Alertmanager webhook receiver authenticates a payload; secrets come from the server environment.');
