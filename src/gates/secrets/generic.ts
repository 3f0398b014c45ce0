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

/** Manifests and lockfiles: their values next to package names are versions, specifiers and hashes. */
const DEPENDENCY_FILE = /(?:^|\/)(?:package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.ya?ml|bun\.lock)$/;

/** A semver version or one-word range (`^1.0.0-beta.3`, `>=2.1.0-rc.1+build.5`, `1.x`). */
const SEMVER_SPEC = /^(?:[~^]|[<>]=?|=)?v?\d+(?:\.(?:\d+|[xX*])){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** A dependency given by protocol: `npm:real@^1`, `workspace:*`, `file:../x`, `github:user/repo#sha`, `git+ssh://…`. */
const PROTOCOL_SPEC = /^(?:npm|workspace|file|link|portal|patch|github|gitlab|bitbucket|git(?:\+[a-z]+)?):/;

/** A subresource-integrity hash (`sha512-…`): the digest of public content, never a secret. */
const INTEGRITY = /^sha(?:1|256|384|512)-[A-Za-z0-9+/]+={0,2}$/;

/**
 * Whether a value is a dependency's version, specifier or integrity hash rather than a secret:
 * in a lockfile or manifest, `"express-htpasswd": "^1.0.0-beta.3"` names a package, not a password.
 */
export function isDependencyValue(value: string, file: string): boolean {
  if (INTEGRITY.test(value)) return true;
  return DEPENDENCY_FILE.test(file) && (SEMVER_SPEC.test(value) || PROTOCOL_SPEC.test(value));
}

export const GENERIC_RULE: SecretRule = {
  id: 'generic-secret',
  description: 'High-entropy value assigned to a secret-like name',
  pattern:
    /(?<![A-Za-z0-9_])([A-Za-z0-9_.-]{0,60}?(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key)[A-Za-z0-9_.-]{0,40})["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:"((?:[^"\n\\]|\\.){8,200})"|'((?:[^'\n\\]|\\.){8,200})'|`((?:[^`\n\\$]|\$(?!\{)|\\.){8,200})`|([^\s"'`,;#(){}[\]<>|&]{8,200}))/dgi,
  group: [2, 3, 4, 5],
  keywords: KEYWORDS,
  keywordsIgnoreCase: true,
  accept: (value, m, file) =>
    !NOT_A_SECRET_NAME.test(m[1] ?? '') &&
    !isDependencyValue(value, file) && !namesAnotherSecret(value, m[5] !== undefined) && looksLikeGeneratedSecret(value, m[5] === undefined),
};
