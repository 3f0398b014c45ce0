// Parses and validates Alertmanager's webhook payload (version 4). A malformed payload is a value
// naming the field that is wrong, so the route can answer 400 with it and change nothing.

import * as z from 'zod';

/** Largest payload accepted; larger ones are refused before parsing (the route answers 413). */
export const MAX_ALERT_PAYLOAD_BYTES = 1024 * 1024;

const labels = z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected a map of strings' });
const time = z
  .string({ error: 'expected an RFC 3339 time' })
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), { message: 'expected an RFC 3339 time' });
const status = z.enum(['firing', 'resolved'], { error: 'expected "firing" or "resolved"' });
const text = z.string({ error: 'expected a string' });

const alertSchema = z.object(
  {
    status,
    labels,
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: text,
    fingerprint: text,
  },
  { error: 'expected an alert (a map)' },
);

const payloadSchema = z.object(
  {
    version: z.literal('4', { error: 'expected "4" (only version 4 of the webhook payload is understood)' }),
    groupKey: text,
    truncatedAlerts: z.int({ error: 'expected a whole number' }).min(0, 'expected a whole number ≥ 0').optional(),
    status,
    receiver: text,
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: text,
    alerts: z.array(alertSchema, { error: 'expected a list of alerts' }),
  },
  { error: 'expected a JSON object' },
);

export type AlertmanagerPayload = z.infer<typeof payloadSchema>;
export type Alert = AlertmanagerPayload['alerts'][number];

export type PayloadResult =
  | { ok: true; value: AlertmanagerPayload }
  | { ok: false; reason: 'too_large' | 'malformed'; field: string; message: string };

/** `alerts[2].labels.severity` from a zod path. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');

/**
 * Parses the raw body of an Alertmanager webhook.
 * @example
 *   const r = parseAlertPayload(rawBody);
 *   if (!r.ok) return reply(r.reason === 'too_large' ? 413 : 400, `${r.field}: ${r.message}`);
 */
export function parseAlertPayload(body: string | Uint8Array): PayloadResult {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size > MAX_ALERT_PAYLOAD_BYTES) {
    return { ok: false, reason: 'too_large', field: '(body)', message: `${size} bytes, more than the ${MAX_ALERT_PAYLOAD_BYTES} accepted` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'malformed', field: '(body)', message: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const r = payloadSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const field = fieldOf(issue?.path ?? []) || '(body)';
  // A missing key reads better as "missing" than as the type it should have had.
  const missing = issue?.code === 'invalid_type' && valueAt(json, issue.path) === undefined;
  return { ok: false, reason: 'malformed', field, message: missing ? `missing (${issue.message})` : (issue?.message ?? 'invalid') };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}
