// Maps a path inside slipway.yaml (['environments', 'production', 'port']) to the line and column of
// the YAML node it names, so that every error can point at the text to fix.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type ConfigPath = ReadonlyArray<string | number>;

/** `environments.production.verify.checks[2]`; the empty path is the empty string. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** The value at `path` inside plain data, or undefined when the path leads nowhere. */
export function valueAt(data: unknown, path: ConfigPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

const hasText = (node: Node | null | undefined): node is Node =>
  !!node?.range && !(isScalar(node) && node.value === null && node.range[0] === node.range[1]);

/**
 * Line and column (1-based) for `path`. `at: 'key'` points at the key of the last segment (for
 * unknown keys and names); otherwise at the value, or at its key when the value is empty. A path
 * that goes further than the document does points at the deepest part that exists.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: ConfigPath,
  at: 'key' | 'value' = 'value',
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  let found = 0;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) break;
      key = isScalar(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      key = undefined;
      node = node.items[seg];
    } else {
      break;
    }
    found++;
  }
  const whole = found === path.length;
  const valueNode = hasText(node as Node | null) ? (node as Node) : undefined;
  // A missing key is reported on the key of the map that should hold it (`build:`), not its first child.
  const target = whole && at === 'value' ? (valueNode ?? key) : (key ?? valueNode);
  const offset = target?.range?.[0] ?? (hasText(doc.contents) ? doc.contents.range?.[0] : 0) ?? 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
