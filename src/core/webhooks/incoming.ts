// Incoming push webhooks from a forge (GitHub's push event): the checks a delivery must pass
// before anything is fetched or queued — its signature over the exact bytes, its event kind, its
// delivery id — and what a push payload asks for. Pure: the server applies the decision.
import { SIGNED_WINDOW_S, TIMESTAMP_HEADER, SIGNATURE_HEADER, signedContent, verifySignature } from './signature.js';

/** The headers of a GitHub delivery that matter here (lower-case names, as Node gives them). */
export interface GithubHeaders {
  signature?: string;
  event?: string;
  delivery?: string;
}

export type DeliveryCheck =
  /** Authentic and new: `event` says what it is (`push`, `ping`, anything else is ignored). */
  | { ok: true; event: string; delivery: string }
  /** 401: unsigned, wrongly signed, or no secret to check it with; 400: a header is malformed; 409: a replay. */
  | { ok: false; status: 400 | 401 | 409; message: string };

/** A delivery id as GitHub sends it (a GUID), or any short token of the same alphabet. */
const DELIVERY_PATTERN = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_PATTERN = /^[a-z_]{1,50}$/;

/**
 * Whether a GitHub delivery is authentic and new. The signature is checked first, in constant
 * time, over the exact raw bytes: an unauthenticated request learns nothing else. `seen` says
 * whether a delivery id was accepted before (a replay is refused even with a valid signature).
 *
 * @example
 * checkGithubDelivery({ signature: signBody('s', body), event: 'push', delivery: 'a1' }, body, 's', () => false)
 * // { ok: true, event: 'push', delivery: 'a1' }
 */
export const checkGithubDelivery = (h: GithubHeaders, body: Uint8Array | string, secret: string | undefined, seen: (delivery: string) => boolean): DeliveryCheck => {
  if (secret === undefined || secret === '') return { ok: false, status: 401, message: 'no webhook secret is configured for this app, so no delivery can be authenticated' };
  if (h.signature === undefined || h.signature.trim() === '') return { ok: false, status: 401, message: 'X-Hub-Signature-256 is missing: the delivery is not signed' };
  if (!verifySignature(secret, body, h.signature)) return { ok: false, status: 401, message: 'X-Hub-Signature-256 does not match the body under the webhook secret' };
  if (h.event === undefined || !EVENT_PATTERN.test(h.event)) return { ok: false, status: 400, message: 'X-GitHub-Event is missing or malformed' };
  if (h.delivery === undefined || !DELIVERY_PATTERN.test(h.delivery)) return { ok: false, status: 400, message: 'X-GitHub-Delivery is missing or malformed' };
  if (seen(h.delivery)) return { ok: false, status: 409, message: `delivery ${h.delivery} was received before: a replay is refused` };
  return { ok: true, event: h.event, delivery: h.delivery };
};

/** What a push payload says, as far as queueing it needs. */
export interface PushPayload {
  /** `refs/heads/<branch>`. */
  ref: string;
  /** The pushed commit (40 hex digits). */
  after: string;
  /** The repository's full name (`owner/name`). */
  repository: string;
}

export type PushParse = { ok: true; push: PushPayload } | { ok: false; field: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The fields of a push event's JSON body, or the first one that is wrong, named. */
export const parsePushPayload = (body: unknown): PushParse => {
  if (!isObject(body)) return { ok: false, field: 'body', message: 'must be a JSON object' };
  const { ref, after, repository } = body;
  if (typeof ref !== 'string' || !/^refs\/[A-Za-z0-9._/-]{1,250}$/.test(ref)) return { ok: false, field: 'ref', message: 'must be a ref such as refs/heads/main' };
  if (typeof after !== 'string' || !/^[0-9a-f]{40}$/.test(after)) return { ok: false, field: 'after', message: 'must be a commit id of 40 lower-case hex digits' };
  const name = isObject(repository) ? repository.full_name : undefined;
  const parts = typeof name === 'string' ? name.split('/') : [];
  if (typeof name !== 'string' || parts.length !== 2 || !parts.every((p) => /^[A-Za-z0-9._-]{1,100}$/.test(p) && p !== '.' && p !== '..')) return { ok: false, field: 'repository.full_name', message: 'must be owner/name' };
  return { ok: true, push: { ref, after, repository: name } };
};

export type PushDecision = { kind: 'queue'; commit: string } | { kind: 'ignore'; reason: string };

/**
 * What a push asks for: a new commit on the main branch is queued (as a push to refs/for/main
 * would be); a push to another branch, a tag, or the deletion of a branch changes nothing.
 */
export const decidePush = (push: PushPayload, main = 'main'): PushDecision => {
  if (push.ref !== `refs/heads/${main}`) return { kind: 'ignore', reason: `${push.ref} is not refs/heads/${main}: only pushes to ${main} are queued` };
  if (/^0{40}$/.test(push.after)) return { kind: 'ignore', reason: `the push deletes ${main}: nothing to queue` };
  return { kind: 'queue', commit: push.after };
};

/** The headers of a generic signed webhook (the scheme of the Alertmanager receiver). */
export interface SignedHeaders {
  signature?: string;
  timestamp?: string;
}

/**
 * Whether a generic webhook is authentic and new: `X-Slipway-Signature: sha256=<hex>` over
 * `<timestamp>.<raw body>` under the app's webhook secret, with `X-Slipway-Timestamp` (Unix
 * seconds) within SIGNED_WINDOW_S of `now` (ms). Its delivery id is the signature itself, so a
 * captured request sent again within the window is a replay (`seen`), and later a stale one.
 */
export const checkSignedDelivery = (h: SignedHeaders, body: Uint8Array | string, secret: string | undefined, now: number, seen: (delivery: string) => boolean): DeliveryCheck => {
  if (secret === undefined || secret === '') return { ok: false, status: 401, message: 'no webhook secret is configured for this app, so no delivery can be authenticated' };
  if (h.signature === undefined || h.signature.trim() === '') return { ok: false, status: 401, message: `${SIGNATURE_HEADER} is missing: the delivery is not signed` };
  const timestamp = h.timestamp?.trim() ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, message: `${TIMESTAMP_HEADER} is missing or malformed: the sending time in Unix seconds, covered by the signature` };
  if (!verifySignature(secret, signedContent(timestamp, body), h.signature)) return { ok: false, status: 401, message: `${SIGNATURE_HEADER} does not match ${TIMESTAMP_HEADER} and the body under the webhook secret` };
  if (Math.abs(Number(timestamp) * 1000 - now) > SIGNED_WINDOW_S * 1000) return { ok: false, status: 401, message: `${TIMESTAMP_HEADER} is more than ${SIGNED_WINDOW_S} s away from this server's clock: a replayed delivery, or a clock to set right` };
  const delivery = `sig-${h.signature.trim().toLowerCase().replace(/^sha256=/, '')}`;
  if (seen(delivery)) return { ok: false, status: 409, message: 'this signed delivery was received before: a replay is refused' };
  return { ok: true, event: 'push', delivery };
};
