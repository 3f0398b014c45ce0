// Deterministic JSON, the one serialiser for every hash and signature: object keys sorted by code
// point, no whitespace, so that the same value always serialises to the same bytes (signed statements,
// stored manifests, the event chain and build keys depend on it).

/** A value that serialises to JSON without loss. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Serialises `value` with object keys in code-point order at every depth.
 * Properties whose value is `undefined` are left out, as `JSON.stringify` does; anything JSON
 * cannot represent (functions, symbols, bigint, NaN, Infinity) is a bug in the caller and throws.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) === '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${at} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? 'null' : write(v, `${at}[${i}]`))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort(compareCodePoints);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], `${at}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${at} has type ${typeof value}, which JSON cannot hold`);
  }
}

/** Orders strings by Unicode code point (not UTF-16 unit), the order RFC 8785 and Go use. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
