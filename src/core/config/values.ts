// The small value forms that the normalised config and the core share: names, environment keys
// and durations. Pure; src/config/values.ts parses the rest of slipway.yaml's value languages.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; expected?: string; hint?: string };

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const STEP_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const DURATION_EXPECTED = 'a duration such as 500ms, 30s, 2m or 1h, or a whole number of milliseconds';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `30s` → 30000; a number is already milliseconds. */
export function parseDuration(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0
      ? { ok: true, value: input }
      : { ok: false, message: `invalid duration ${input}`, expected: DURATION_EXPECTED };
  }
  const m = DURATION_PATTERN.exec(input.trim());
  if (!m) return { ok: false, message: `invalid duration "${input}"`, expected: DURATION_EXPECTED };
  const unit = m[2] as keyof typeof UNIT_MS;
  return { ok: true, value: Math.round(Number(m[1]) * UNIT_MS[unit]) };
}
