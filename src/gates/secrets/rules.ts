// Slipway's own secret rules, gitleaks-style: a pattern per credential format, checks that weed
// out look-alikes, and one entropy-based rule for secrets assigned to secret-like names.

import { looksLikePlaceholder, shannonEntropy } from './entropy.js';
import { GENERIC_RULE } from './generic.js';

export interface SecretRule {
  /** Stable id, used in findings and allowlist entries. */
  id: string;
  description: string;
  /**
   * Global regex with indices (flags `dg`); the secret is capture group `group` (0 = the whole
   * match), or the first of several alternative groups that matched.
   */
  pattern: RegExp;
  group: number | number[];
  /**
   * Literal strings one of which must occur in a file before the pattern is tried (a cheap
   * pre-filter). Compared case-sensitively unless `keywordsIgnoreCase`.
   */
  keywords: string[];
  keywordsIgnoreCase?: boolean;
  /** Rejects matches that are not secrets (placeholders, documentation examples…); `file` is the scanned path. */
  accept?: (secret: string, match: RegExpExecArray, file: string) => boolean;
  /** How much of the secret's start is a public, well-known prefix that may be shown. */
  prefix?: RegExp;
  /** Replaces the default masking, for rules where the match holds public context. */
  mask?: (secret: string, match: RegExpExecArray) => string;
}

const notExample = (s: string): boolean => !/EXAMPLE/i.test(s) && !looksLikePlaceholder(s);

function decodesToJsonObject(part: string): boolean {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

const PLACEHOLDER_PASSWORDS = new Set(['password', 'passwd', 'pass', 'secret', 'pwd', 'changeme', 'user', 'username', 'example', 'x']);

/** Every rule, most specific first: where two rules match the same text, the earlier one wins. */
export const RULES: readonly SecretRule[] = [
  {
    id: 'private-key',
    description: 'Private key block',
    pattern:
      /-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,\\-]{40,}?-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----/dg,
    group: 0,
    keywords: ['PRIVATE KEY'],
    mask: (secret) => `${secret.slice(0, secret.indexOf('-----', 5) + 5)} ****`,
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id',
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/dg,
    group: 0,
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    accept: notExample,
    prefix: /^[A-Z]{4}/,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    pattern: /aws[\w.-]{0,24}?secret[\w.-]{0,24}?["']?\s*(?::=|=>|=|:)\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/dgi,
    group: 1,
    keywords: ['aws'],
    keywordsIgnoreCase: true,
    accept: (s) => notExample(s) && shannonEntropy(s) >= 4,
  },
  {
    id: 'github-token',
    description: 'GitHub token',
    pattern: /\bgh[pousr]_[A-Za-z0-9]{36,251}\b/dg,
    group: 0,
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    prefix: /^gh[pousr]_/,
  },
  {
    // Slipway's own API tokens (core/auth/tokens.ts): `slw_` and 43 base64url characters.
    id: 'slipway-token',
    description: 'Slipway API token',
    pattern: /(?<![A-Za-z0-9_-])slw_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/dg,
    group: 0,
    keywords: ['slw_'],
    prefix: /^slw_/,
  },
  {
    id: 'github-fine-grained-token',
    description: 'GitHub fine-grained personal access token',
    pattern: /\bgithub_pat_[A-Za-z0-9_]{82}\b/dg,
    group: 0,
    keywords: ['github_pat_'],
    prefix: /^github_pat_/,
  },
  {
    id: 'gitlab-token',
    description: 'GitLab personal access token',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/dg,
    group: 0,
    keywords: ['glpat-'],
    prefix: /^glpat-/,
  },
  {
    id: 'slack-token',
    description: 'Slack token',
    pattern: /\bxox[baprs]-[0-9]{1,20}-[A-Za-z0-9-]{8,250}/dg,
    group: 0,
    keywords: ['xox'],
    prefix: /^xox[baprs]-/,
  },
  {
    id: 'slack-webhook',
    description: 'Slack incoming webhook URL',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/+-]{30,200}/dg,
    group: 0,
    keywords: ['hooks.slack.com'],
    prefix: /^https:\/\/hooks\.slack\.com\/[a-z]+\//,
  },
  {
    id: 'stripe-key',
    description: 'Stripe live secret or restricted key',
    pattern: /\b[sr]k_live_[A-Za-z0-9]{16,247}\b/dg,
    group: 0,
    keywords: ['k_live_'],
    prefix: /^[sr]k_live_/,
  },
  {
    id: 'google-api-key',
    description: 'Google API key',
    pattern: /\bAIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/dg,
    group: 0,
    keywords: ['AIza'],
    prefix: /^AIza/,
  },
  {
    id: 'npm-token',
    description: 'npm access token',
    pattern: /\bnpm_[A-Za-z0-9]{36}\b/dg,
    group: 0,
    keywords: ['npm_'],
    prefix: /^npm_/,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token',
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/dg,
    group: 0,
    keywords: ['eyJ'],
    accept: (s) => {
      const [header, payload] = s.split('.');
      return header !== undefined && payload !== undefined && decodesToJsonObject(header) && decodesToJsonObject(payload);
    },
    prefix: /^eyJ/,
  },
  {
    id: 'url-password',
    description: 'Password in a URL',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/([^\s:@/'"`<>]{1,100}):([^\s@/'"`<>]{1,200})@([a-z0-9.-]{1,253})/dgi,
    group: 2,
    keywords: ['://'],
    accept: (password, m) =>
      password.length >= 3 &&
      password !== m[1] && // postgres:postgres, guest:guest — default local credentials
      !PLACEHOLDER_PASSWORDS.has(password.toLowerCase()) &&
      !looksLikePlaceholder(password) &&
      !/^(?:[^.]+\.)*example\.(?:com|org|net)$/i.test(m[3] ?? ''),
    mask: (_secret, m) => {
      const at = m[0].indexOf('://');
      return `${m[0].slice(0, at + 3)}${m[1] ?? ''}:****@${m[3] ?? ''}`;
    },
  },
  GENERIC_RULE,
];
