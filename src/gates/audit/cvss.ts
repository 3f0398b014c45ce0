// CVSS 3.0 / 3.1 base scores computed from a vector string, with the equations and constants of
// the CVSS v3.1 specification (FIRST, section 7.1 and Appendix A for Roundup). Temporal and
// environmental metrics in the vector are accepted and ignored: the base score is what advisories
// publish.

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;
/** Privileges Required weighs more when the scope changes. */
const PR = { U: { N: 0.85, L: 0.62, H: 0.27 }, C: { N: 0.85, L: 0.68, H: 0.5 } } as const;

const BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const ALLOWED: Record<(typeof BASE_METRICS)[number], string> = { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' };

export interface CvssScore {
  version: '3.0' | '3.1';
  score: number;
}

/** CVSS 3.1 Roundup: the smallest one-decimal number ≥ x, computed on integers to avoid 4.000000001 → 4.1. */
export function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** CVSS 3.0 round-up to one decimal. */
function roundup30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/**
 * The base score of a CVSS v3 vector, or a message saying why it cannot be read.
 *
 * @example
 *   cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H') // { version: '3.1', score: 9.8 }
 */
export function cvss3BaseScore(vector: string): CvssScore | string {
  const parts = vector.trim().split('/');
  const head = parts.shift();
  const version = head === 'CVSS:3.1' ? '3.1' : head === 'CVSS:3.0' ? '3.0' : undefined;
  if (version === undefined) return `not a CVSS 3.x vector (starts with ${JSON.stringify(head)})`;
  const m = new Map<string, string>();
  for (const p of parts) {
    const kv = /^([A-Za-z]+):([A-Za-z])$/.exec(p);
    if (!kv) return `malformed metric "${p}"`;
    if (m.has(kv[1] as string)) return `metric ${kv[1]} appears twice`;
    m.set(kv[1] as string, kv[2] as string);
  }
  for (const k of BASE_METRICS) {
    const val = m.get(k);
    if (val === undefined) return `missing base metric ${k}`;
    if (!ALLOWED[k].includes(val)) return `${k}:${val} is not a valid value`;
  }
  const get = (k: (typeof BASE_METRICS)[number]): string => m.get(k) as string;
  const scope = get('S') as 'U' | 'C';
  const cia = (k: 'C' | 'I' | 'A'): number => WEIGHTS.CIA[get(k) as 'H' | 'L' | 'N'];
  const iss = 1 - (1 - cia('C')) * (1 - cia('I')) * (1 - cia('A'));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability =
    8.22 *
    WEIGHTS.AV[get('AV') as 'N' | 'A' | 'L' | 'P'] *
    WEIGHTS.AC[get('AC') as 'L' | 'H'] *
    PR[scope][get('PR') as 'N' | 'L' | 'H'] *
    WEIGHTS.UI[get('UI') as 'N' | 'R'];
  const roundup = version === '3.1' ? roundup31 : roundup30;
  let score: number;
  if (impact <= 0) score = 0;
  else if (scope === 'U') score = roundup(Math.min(impact + exploitability, 10));
  else score = roundup(Math.min(1.08 * (impact + exploitability), 10));
  return { version, score };
}
