// The catch-all secret rule: a literal value assigned to a secret-like name (password, token,
// api_key…) that looks generated — long enough, varied enough characters, high enough entropy —
// and is not a placeholder, a reference to an environment variable, a path or a code expression.

import type { SecretRule } from './rules.js';
import { characterClasses, looksLikePlaceholder, shannonEntropy } from './entropy.js';

const KEYWORDS = ['password', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'api-key', 'accesskey', 'access_key', 'privatekey', 'private_key', 'credential', 'auth_key', 'authkey'];

/** Names that mention a secret but hold something else: its file, its length, its type… */
const NOT_A_SECRET_NAME = /(?:file|path|dir|name|type|length|len|size|count|expiry|expires|expires_?in|ttl|header|field|url|uri|endpoint|id|ids|format|policy|regex|pattern|prefix|label|hint|placeholder|env|var|mode|enabled|required|timeout|rotation|version|alg|algorithm|_?kind)$/i;

export const MIN_LENGTH = 8;

/**
 * Decides whether a value assigned to a secret-like name is a real-looking secret.
 * Short values (< 16) need three character classes and entropy ≥ 2.8 bits per character;
 * longer ones two classes, a digit, and entropy ≥ 3.2. Words, sentences, identifiers and
 * placeholders fall below these bars.
 */
export function looksLikeGeneratedSecret(value: string, quoted: boolean): boolean {
  if (value.length < MIN_LENGTH) return false;
  if (!/^[\x21-\x7e]+$/.test(value)) return false; // generated secrets are printable ASCII; prose is not
  if (looksLikePlaceholder(value)) return false;
  if (/^(?:\.{0,2}\/|~\/|[a-z]+:\/\/)/i.test(value)) return false; // paths and URLs
  if (!quoted && /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return false; // config.db.password
  if (/\s/.test(value)) return false; // sentences
  const classes = characterClasses(value);
  const h = shannonEntropy(value);
  if (value.length < 16) return classes >= 3 && h >= 2.8;
  return classes >= 2 && /[0-9]/.test(value) && h >= 3.2;
}

/** `type ArrowToken = ArrowToken$1`, `apiKey = defaultApiKey`: a bare identifier that itself names a secret is code. */
function namesAnotherSecret(value: string, unquoted: boolean): boolean {
  if (!unquoted || !/^[A-Za-z_$][\w$]*$/.test(value)) return false;
  const v = value.toLowerCase().replace(/[_-]/g, '');
  return KEYWORDS.some((k) => v.includes(k.replace(/[_-]/g, '')));
}

export const GENERIC_RULE: SecretRule = {
  id: 'generic-secret',
  description: 'High-entropy value assigned to a secret-like name',
  pattern:
    /(?<![A-Za-z0-9_])([A-Za-z0-9_.-]{0,60}?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key)[A-Za-z0-9_.-]{0,40})["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:"((?:[^"\n\\]|\\.){8,200})"|'((?:[^'\n\\]|\\.){8,200})'|`((?:[^`\n\\$]|\$(?!\{)|\\.){8,200})`|([^\s"'`,;#(){}[\]<>|&]{8,200}))/dgi,
  group: [2, 3, 4, 5],
  keywords: KEYWORDS,
  keywordsIgnoreCase: true,
  accept: (value, m) =>
    !NOT_A_SECRET_NAME.test(m[1] ?? '') && !namesAnotherSecret(value, m[5] !== undefined) && looksLikeGeneratedSecret(value, m[5] === undefined),
};
