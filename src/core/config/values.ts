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

export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s?(B|KB|KiB|MB|MiB|GB|GiB)$/;
export const SIZE_EXPECTED = 'a size such as 512KiB, 10MB or 1GiB (KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024), or a whole number of bytes';

const UNIT_BYTES = { B: 1, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 } as const;

/** `10MB` → 10000000, `1KiB` → 1024; a number is already bytes. */
export function parseSize(input: string | number): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input >= 0 ? { ok: true, value: input } : { ok: false, message: `invalid size ${input}`, expected: SIZE_EXPECTED };
  }
  const m = SIZE_PATTERN.exec(input.trim());
  if (!m) return { ok: false, message: `invalid size "${input}"`, expected: SIZE_EXPECTED };
  const value = Math.round(Number(m[1]) * UNIT_BYTES[m[2] as keyof typeof UNIT_BYTES]);
  return Number.isSafeInteger(value) ? { ok: true, value } : { ok: false, message: `size "${input}" is too large`, expected: SIZE_EXPECTED };
}
