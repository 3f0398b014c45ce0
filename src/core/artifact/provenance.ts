// The provenance of a build as an in-toto Statement v1 carrying a SLSA v1 predicate: which commit,
// which pipeline file, which builder and which inputs produced an artifact. Pure; signing is done
// by the signer port over the canonical JSON bytes returned by `statementBytes`.

import { canonicalJson, type JsonValue } from '../canonical-json.js';
import { isDigest, hexOf } from './digest.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** Names how Slipway builds: run the build command in a clean checkout, pack the listed paths. */
export const SLIPWAY_BUILD_TYPE = 'https://slipway.dev/build-types/archive/v1';

/** An in-toto resource descriptor, reduced to what Slipway writes. */
export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest: Record<string, string>;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: SlsaProvenance;
}

export interface SlsaProvenance {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, JsonValue>;
    internalParameters: Record<string, JsonValue>;
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string };
    metadata: { invocationId: string; startedOn: string; finishedOn: string };
    byproducts: ResourceDescriptor[];
  };
}

export interface BuildRuntime {
  node: string;
  platform: string;
  arch: string;
}

export interface StatementInput {
  /** The artifact's digest, `sha256:<hex>`: the statement's only subject. */
  digest: string;
  /** The subject's name, e.g. `<app>.tar`. */
  name: string;
  /** Full git commit id of the built tree. */
  commit: string;
  /** Where the source came from, e.g. `file:///srv/app` or `https://git.example/app`. */
  repo: string;
  /** `sha256:<hex>` of the pipeline file as read for this build. */
  pipelineFileDigest: string;
  /** Path of the pipeline file in the repository; defaults to `slipway.yaml`. */
  pipelineFile?: string;
  /** Who built it, e.g. `https://slipway.dev/builder/local@<hostname>`. */
  builderId: string;
  /** The run's id, unique per build. */
  invocationId: string;
  /** RFC 3339 timestamps (a Date is converted). */
  startedOn: string | Date;
  finishedOn: string | Date;
  /** Further inputs that went into the build (lockfiles, base artifacts), `digest` as `alg:hex`. */
  inputs: { uri: string; digest: string }[];
  /** What the user controls: build command, artifact paths, … (Slipway's own keys win). */
  externalParameters: Record<string, JsonValue>;
  /** What the builder chose, e.g. the archive format and the fixed mtime. */
  internalParameters?: Record<string, JsonValue>;
  /**
   * The Node.js the build ran on (`process.version`, `process.platform`, `process.arch`): native
   * modules compiled by the build run only there. Recorded as `internalParameters.runtime`.
   */
  runtime?: BuildRuntime;
  byproducts?: ResourceDescriptor[];
}

/**
 * Builds the provenance statement of one build. Malformed input is a bug in the caller and throws
 * a TypeError naming the field.
 */
export function buildStatement(input: StatementInput): Statement {
  if (!isDigest(input.digest)) throw new TypeError(`buildStatement: digest must be sha256:<64 hex>, got "${input.digest}"`);
  if (!isDigest(input.pipelineFileDigest)) {
    throw new TypeError(`buildStatement: pipelineFileDigest must be sha256:<64 hex>, got "${input.pipelineFileDigest}"`);
  }
  for (const key of ['name', 'commit', 'repo', 'builderId', 'invocationId'] as const) {
    if (typeof input[key] !== 'string' || input[key] === '') throw new TypeError(`buildStatement: ${key} must be a non-empty string`);
  }
  const pipelineFile = input.pipelineFile ?? 'slipway.yaml';
  const pipelineSha = hexOf(input.pipelineFileDigest);
  const source: ResourceDescriptor = {
    uri: input.repo.startsWith('git+') ? input.repo : `git+${input.repo}`,
    digest: { gitCommit: input.commit },
  };
  const dependencies: ResourceDescriptor[] = [
    source,
    { uri: pipelineFile, digest: { sha256: pipelineSha } },
    ...input.inputs.map((i, n) => ({ uri: i.uri, digest: algDigest(i.digest, `inputs[${n}].digest`) })),
  ];
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: input.name, digest: { sha256: hexOf(input.digest) } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: SLIPWAY_BUILD_TYPE,
        externalParameters: {
          ...input.externalParameters,
          source: { repository: input.repo, commit: input.commit },
          pipelineFile: { path: pipelineFile, sha256: pipelineSha },
        },
        internalParameters: { ...input.internalParameters, ...(input.runtime ? { runtime: { ...input.runtime } } : {}) },
        resolvedDependencies: dependencies,
      },
      runDetails: {
        builder: { id: input.builderId },
        metadata: {
          invocationId: input.invocationId,
          startedOn: timestamp(input.startedOn, 'startedOn'),
          finishedOn: timestamp(input.finishedOn, 'finishedOn'),
        },
        byproducts: input.byproducts ?? [],
      },
    },
  };
}

/** The runtime a statement records (`internalParameters.runtime`), or null when it has none. */
export function runtimeOf(statement: Statement): BuildRuntime | null {
  const r = statement.predicate.buildDefinition.internalParameters.runtime;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  const { node, platform, arch } = r as Record<string, JsonValue>;
  return typeof node === 'string' && typeof platform === 'string' && typeof arch === 'string' ? { node, platform, arch } : null;
}

const nodeMajor = (version: string): string => /^v?(\d+)\./.exec(version)?.[1] ?? version;

/**
 * Why an artifact built on `recorded` must not be reused on `current`, or null when it may: native
 * modules built for one Node major version, platform or architecture do not load on another.
 * An artifact whose provenance records no runtime is not reused either (it may hold such modules).
 *
 * @example runtimeMismatch({ node: 'v18.19.0', platform: 'linux', arch: 'x64' }, { node: 'v20.11.1', platform: 'linux', arch: 'x64' })
 * // → 'it was built on Node v18.19.0 (linux/x64) and this build runs Node v20.11.1 (linux/x64)'
 */
export function runtimeMismatch(recorded: BuildRuntime | null, current: BuildRuntime): string | null {
  const here = `Node ${current.node} (${current.platform}/${current.arch})`;
  if (recorded === null) return `its provenance records no Node version, platform or architecture, and this build runs ${here}`;
  const same = nodeMajor(recorded.node) === nodeMajor(current.node) && recorded.platform === current.platform && recorded.arch === current.arch;
  return same ? null : `it was built on Node ${recorded.node} (${recorded.platform}/${recorded.arch}) and this build runs ${here}`;
}

/** The exact bytes that are signed and stored: canonical JSON, UTF-8. */
export function statementBytes(statement: Statement): Buffer {
  return Buffer.from(canonicalJson(statement), 'utf8');
}

function algDigest(value: string, field: string): Record<string, string> {
  const m = /^([a-z0-9]+):([0-9a-f]+)$/.exec(value);
  if (m === null) throw new TypeError(`buildStatement: ${field} must be "<alg>:<hex>", got "${value}"`);
  return { [m[1] as string]: m[2] as string };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function timestamp(value: string | Date, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`buildStatement: ${field} is an invalid Date`);
    return value.toISOString();
  }
  if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new TypeError(`buildStatement: ${field} must be an RFC 3339 timestamp, got "${value}"`);
  }
  return value;
}

export type ParsedStatement = { ok: true; statement: Statement } | { ok: false; message: string };

/**
 * Checks a statement decoded from a stored envelope: the in-toto and SLSA types, a subject with a
 * sha256 digest, and the predicate fields Slipway reads (builder id, source, timings).
 */
export function parseStatement(value: unknown): ParsedStatement {
  const bad = (message: string): ParsedStatement => ({ ok: false, message: `provenance statement: ${message}` });
  if (!isObject(value)) return bad('must be a JSON object');
  if (value._type !== STATEMENT_TYPE) return bad(`"_type" must be "${STATEMENT_TYPE}"`);
  if (value.predicateType !== SLSA_PROVENANCE_V1) return bad(`"predicateType" must be "${SLSA_PROVENANCE_V1}"`);
  if (!Array.isArray(value.subject) || value.subject.length === 0) return bad('"subject" must be a non-empty array');
  for (const [i, s] of (value.subject as unknown[]).entries()) {
    if (!isObject(s) || typeof s.name !== 'string' || !isObject(s.digest) || typeof s.digest.sha256 !== 'string') {
      return bad(`subject[${i}] must have a name and digest.sha256`);
    }
    if (!/^[0-9a-f]{64}$/.test(s.digest.sha256)) return bad(`subject[${i}].digest.sha256 must be 64 hex characters`);
  }
  const p = value.predicate;
  if (!isObject(p) || !isObject(p.buildDefinition) || !isObject(p.runDetails)) {
    return bad('"predicate" must have buildDefinition and runDetails');
  }
  const def = p.buildDefinition;
  if (typeof def.buildType !== 'string') return bad('buildDefinition.buildType must be a string');
  if (!isObject(def.externalParameters)) return bad('buildDefinition.externalParameters must be an object');
  if (!Array.isArray(def.resolvedDependencies)) return bad('buildDefinition.resolvedDependencies must be an array');
  const run = p.runDetails;
  if (!isObject(run.builder) || typeof run.builder.id !== 'string') return bad('runDetails.builder.id must be a string');
  if (!isObject(run.metadata)) return bad('runDetails.metadata must be an object');
  return { ok: true, statement: value as unknown as Statement };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
