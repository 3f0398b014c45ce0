// The handful of named errors Slipway throws, each with a stable code that the CLI maps to an
// exit code (SPEC §6) and the server maps to an HTTP status, in one place each.

export type ErrorCode =
  | 'usage' // bad arguments or configuration → exit 2
  | 'config' // slipway.yaml invalid → exit 2
  | 'not_found' // unknown run, artifact, environment, ref → exit 2
  | 'failed' // the work itself failed (a step, a verification) → exit 1
  | 'conflict' // lock held, stale state → exit 3
  | 'refused' // policy: unverified digest, bad signature → exit 4
  | 'corrupt' // a stored artifact or record does not match its digest → exit 4
  | 'canceled' // interrupted by the user → exit 130
  | 'unavailable'; // the control plane cannot be reached → exit 1

export class SlipwayError extends Error {
  override readonly name = 'SlipwayError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the user can do next; printed under the message. */
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const exitCodeOf = (code: ErrorCode): number => {
  switch (code) {
    case 'usage':
    case 'config':
    case 'not_found':
      return 2;
    case 'failed':
    case 'unavailable':
      return 1;
    case 'conflict':
      return 3;
    case 'refused':
    case 'corrupt':
      return 4;
    case 'canceled':
      return 130;
  }
};

export const httpStatusOf = (code: ErrorCode): number => {
  switch (code) {
    case 'usage':
    case 'config':
      return 400;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'refused':
      return 403;
    case 'corrupt':
      return 422;
    case 'failed':
      return 422;
    case 'canceled':
      return 409;
    case 'unavailable':
      return 503;
  }
};

export const isSlipwayError = (e: unknown): e is SlipwayError => e instanceof SlipwayError;

/** Error codes of a file system or database that cannot store more: the disk (or quota) is full. */
const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/**
 * A write refused because the disk is full (Node's ENOSPC or EDQUOT, SQLite's SQLITE_FULL), as one
 * clear error naming ENOSPC and what to do; null for any other error.
 *
 * @example
 * diskFullError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))
 * // → SlipwayError('unavailable', 'the disk is full (ENOSPC): database or disk is full…', 'free space…')
 */
export function diskFullError(e: unknown): SlipwayError | null {
  if (e instanceof SlipwayError || !(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !FULL_CODES.has(code)) return null;
  return new SlipwayError(
    'unavailable',
    `the disk is full (ENOSPC${code === 'ENOSPC' ? '' : `, ${code}`}): ${e.message}; the request was not completed, and what runs keeps running`,
    'free space on the disk of the Slipway home and its sandbox area (`slipway gc` removes what the retention policy lets go), then try again',
  );
}
