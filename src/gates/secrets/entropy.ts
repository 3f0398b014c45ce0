// Measures of how random a string looks, used to tell generated secrets from words and
// placeholders in assignments such as `password = "…"`.

/** Shannon entropy in bits per character of the string's own character frequencies. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** How many of the classes lower-case, upper-case, digit and other the string uses. */
export function characterClasses(s: string): number {
  let n = 0;
  if (/[a-z]/.test(s)) n++;
  if (/[A-Z]/.test(s)) n++;
  if (/[0-9]/.test(s)) n++;
  if (/[^A-Za-z0-9]/.test(s)) n++;
  return n;
}

const PLACEHOLDER_WORDS = [
  'example', 'placeholder', 'changeme', 'change_me', 'change-me', 'your', 'redacted', 'dummy', 'sample',
  'xxxx', '****', '....', 'replace', 'insert', 'todo', 'fixme', 'secret_here', 'key_here', 'notreal', 'not_real',
];

/** True for values that are clearly not a real secret: templates, references, placeholders. */
export function looksLikePlaceholder(value: string): boolean {
  const v = value.toLowerCase();
  if (/^[$%#@&*<[({]/.test(v)) return true; // ${VAR}, %VAR%, #{x}, <your key>, [REDACTED], {{ x }}
  if (/^(?:process\.env|os\.environ|env\.|env\(|getenv|secrets\.|vars\.)/.test(v)) return true;
  if (/^(.)\1+$/.test(v)) return true; // aaaaaaaa, 00000000
  return PLACEHOLDER_WORDS.some((w) => v.includes(w));
}
