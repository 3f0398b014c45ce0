// Infrastructure settings of an environment (`slipway env set ENV port=8090 instances=2 …`):
// typed, validated, versioned like config, and laid over slipway.yaml's values and the defaults.
// Pure: the caller stores versions and supplies the time, the actor and the parsed slipway.yaml.
import type { SlipwayConfig } from '../config/types.js';
import { parseDuration } from '../config/values.js';

/** The settings `slipway env set` accepts, in the order `env show` prints them. */
export const SETTING_KEYS = ['port', 'instances', 'health_path', 'health_interval', 'health_timeout', 'start_timeout', 'stop_grace'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

/** Durations are stored in milliseconds; port and instances as whole numbers; the path as text. */
export type SettingValue = number | string;
export type SettingValues = Partial<Record<SettingKey, SettingValue>>;

/** One version of an environment's settings overrides: only what `env set` changed from slipway.yaml. */
export interface SettingsVersion {
  version: number;
  values: SettingValues;
  changedKeys: SettingKey[];
  at: string;
  actor: string;
}

export type SettingChange = { op: 'set'; key: string; value: string } | { op: 'unset'; key: string };
export interface SettingIssue {
  key: string;
  message: string;
  hint?: string;
}

/** Most instances one environment may run (the process runtime's own limit). */
export const MAX_INSTANCES = 64;

interface SettingDef {
  kind: 'port' | 'count' | 'path' | 'duration';
  describe: string;
  /** Where slipway.yaml sets it (the dot path shown by `env show`). */
  yamlPath: (env: string) => string;
}

const DEFS: Record<SettingKey, SettingDef> = {
  port: { kind: 'port', describe: 'port of the environment on the edge proxy', yamlPath: (e) => `environments.${e}.port` },
  instances: { kind: 'count', describe: 'instances of the app', yamlPath: (e) => `environments.${e}.instances or run.instances` },
  health_path: { kind: 'path', describe: 'HTTP path the health probe asks', yamlPath: () => 'run.health.path' },
  health_interval: { kind: 'duration', describe: 'time between health probes', yamlPath: () => 'run.health.interval' },
  health_timeout: { kind: 'duration', describe: 'longest a health probe may take', yamlPath: () => 'run.health.timeout' },
  start_timeout: { kind: 'duration', describe: 'longest a new instance may take to become healthy', yamlPath: () => 'run.health.start_timeout' },
  stop_grace: { kind: 'duration', describe: 'time between SIGTERM and SIGKILL', yamlPath: () => 'run.stop_grace' },
};

const isKey = (k: string): k is SettingKey => (SETTING_KEYS as readonly string[]).includes(k);

/** What a setting means, for help texts. */
export const describeSetting = (key: SettingKey): string => DEFS[key].describe;

/** Parses one `KEY=VALUE` of `slipway env set`; the value in its stored form, or the problem. */
export function parseSetting(key: string, raw: string): { ok: true; key: SettingKey; value: SettingValue } | { ok: false; issue: SettingIssue } {
  const fail = (message: string, hint?: string): { ok: false; issue: SettingIssue } => ({ ok: false, issue: { key, message, hint } });
  if (!isKey(key)) {
    const lower = key.toLowerCase().replace(/-/g, '_');
    return fail(`unknown setting "${key}"`, isKey(lower) ? `did you mean ${lower}?` : `settings: ${SETTING_KEYS.join(', ')}`);
  }
  const text = raw.trim();
  switch (DEFS[key].kind) {
    case 'port': {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      return n >= 1 && n <= 65535 ? { ok: true, key, value: n } : fail(`${key} must be a port number from 1 to 65535, not "${raw}"`);
    }
    case 'count': {
      const n = /^\d+$/.test(text) ? Number(text) : NaN;
      return n >= 1 && n <= MAX_INSTANCES ? { ok: true, key, value: n } : fail(`${key} must be a whole number from 1 to ${MAX_INSTANCES}, not "${raw}"`);
    }
    case 'path':
      if (!text.startsWith('/') || /\s/.test(text)) return fail(`${key} must be a path starting with / and without spaces, not "${raw}"`, 'e.g. health_path=/healthz');
      return { ok: true, key, value: text };
    case 'duration': {
      const d = /^\d+$/.test(text) ? parseDuration(Number(text)) : parseDuration(text);
      if (!d.ok || d.value <= 0) return fail(`${key} must be a duration such as 500ms, 30s or 2m, not "${raw}"`);
      return { ok: true, key, value: d.value };
    }
  }
}

export type SettingsApply =
  | { ok: true; changed: true; version: SettingsVersion }
  | { ok: true; changed: false; version: SettingsVersion | undefined }
  | { ok: false; errors: SettingIssue[] };

/**
 * Applies `changes` to the current overrides and returns the next version, or every problem
 * (nothing is applied then). `unset` goes back to slipway.yaml's value (or the default).
 */
export function applySettingsChanges(current: SettingsVersion | undefined, changes: readonly SettingChange[], meta: { at: string; actor: string }): SettingsApply {
  const errors: SettingIssue[] = [];
  const parsed: Array<{ op: 'set'; key: SettingKey; value: SettingValue } | { op: 'unset'; key: SettingKey }> = [];
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.key)) errors.push({ key: c.key, message: `${c.key} is changed twice in one update`, hint: 'give each setting once' });
    seen.add(c.key);
    if (c.op === 'unset') {
      const p = parseSetting(c.key, '1');
      if (!isKey(c.key)) errors.push(p.ok ? { key: c.key, message: `unknown setting "${c.key}"` } : p.issue);
      else parsed.push({ op: 'unset', key: c.key });
      continue;
    }
    const p = parseSetting(c.key, c.value);
    if (p.ok) parsed.push({ op: 'set', key: p.key, value: p.value });
    else errors.push(p.issue);
  }
  if (errors.length > 0) return { ok: false, errors };
  const values: SettingValues = { ...(current?.values ?? {}) };
  const changedKeys: SettingKey[] = [];
  for (const c of parsed) {
    if (c.op === 'set' && values[c.key] !== c.value) {
      values[c.key] = c.value;
      changedKeys.push(c.key);
    } else if (c.op === 'unset' && values[c.key] !== undefined) {
      delete values[c.key];
      changedKeys.push(c.key);
    }
  }
  if (changedKeys.length === 0) return { ok: true, changed: false, version: current };
  const ordered: SettingValues = {};
  for (const k of SETTING_KEYS) if (values[k] !== undefined) ordered[k] = values[k];
  return {
    ok: true,
    changed: true,
    version: { version: (current?.version ?? 0) + 1, values: ordered, changedKeys: SETTING_KEYS.filter((k) => changedKeys.includes(k)), at: meta.at, actor: meta.actor },
  };
}

/**
 * The config as an environment runs it: the overrides of `env set` laid over the environment's
 * port and instances and over `run` (health, stop grace). Other environments are left alone.
 */
export function withSettings(config: SlipwayConfig, env: string, overrides: SettingValues | undefined): SlipwayConfig {
  if (!overrides || Object.keys(overrides).length === 0) return config;
  const num = (k: SettingKey, dflt: number): number => (typeof overrides[k] === 'number' ? overrides[k] : dflt);
  const health = config.run.health;
  return {
    ...config,
    run: {
      ...config.run,
      health: {
        path: typeof overrides.health_path === 'string' ? overrides.health_path : health.path,
        intervalMs: num('health_interval', health.intervalMs),
        timeoutMs: num('health_timeout', health.timeoutMs),
        startTimeoutMs: num('start_timeout', health.startTimeoutMs),
      },
      stopGraceMs: num('stop_grace', config.run.stopGraceMs),
    },
    environments: config.environments.map((e) =>
      e.name !== env ? e : { ...e, ...(overrides.port !== undefined ? { port: num('port', 0) } : {}), ...(overrides.instances !== undefined ? { instances: num('instances', 1) } : {}) },
    ),
  };
}

export type SettingSource = 'default' | 'slipway.yaml' | 'env set';

export interface EffectiveSetting {
  key: SettingKey;
  /** undefined: not set anywhere (a port is then picked on first deployment and kept). */
  value: SettingValue | undefined;
  /** As a person writes it: 30s, 8080, /healthz. */
  display: string;
  source: SettingSource;
  /** Where the value comes from, e.g. `run.health.timeout` or `env set v3`. */
  from: string;
}

/** Formats milliseconds as the shortest exact duration: 1500 → 1500ms, 30000 → 30s, 120000 → 2m. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const display = (key: SettingKey, v: SettingValue | undefined): string =>
  v === undefined ? '(none)' : DEFS[key].kind === 'duration' && typeof v === 'number' ? formatDuration(v) : String(v);

/**
 * Every setting of `env` with its effective value and its source: `env set` overrides, else
 * slipway.yaml (`yamlHas` says whether the file gives the value explicitly), else the default.
 */
export function effectiveSettings(
  config: SlipwayConfig,
  env: string,
  overrides: SettingsVersion | undefined,
  yamlHas: (path: readonly string[]) => boolean,
  recordedPort?: number,
): EffectiveSetting[] {
  const spec = config.environments.find((e) => e.name === env);
  const fromYaml: Record<SettingKey, { value: SettingValue | undefined; explicit: boolean; path: string }> = {
    port: { value: spec?.port, explicit: spec?.port !== undefined, path: `environments.${env}.port` },
    instances: spec?.instances !== undefined
      ? { value: spec.instances, explicit: true, path: `environments.${env}.instances` }
      : { value: config.run.instances, explicit: yamlHas(['run', 'instances']), path: 'run.instances' },
    health_path: { value: config.run.health.path, explicit: yamlHas(['run', 'health', 'path']), path: 'run.health.path' },
    health_interval: { value: config.run.health.intervalMs, explicit: yamlHas(['run', 'health', 'interval']), path: 'run.health.interval' },
    health_timeout: { value: config.run.health.timeoutMs, explicit: yamlHas(['run', 'health', 'timeout']), path: 'run.health.timeout' },
    start_timeout: { value: config.run.health.startTimeoutMs, explicit: yamlHas(['run', 'health', 'start_timeout']), path: 'run.health.start_timeout' },
    stop_grace: { value: config.run.stopGraceMs, explicit: yamlHas(['run', 'stop_grace']), path: 'run.stop_grace' },
  };
  return SETTING_KEYS.map((key) => {
    const o = overrides?.values[key];
    if (o !== undefined && overrides) return { key, value: o, display: display(key, o), source: 'env set', from: `env set v${overrides.version}` };
    const y = fromYaml[key];
    if (y.explicit) return { key, value: y.value, display: display(key, y.value), source: 'slipway.yaml', from: y.path };
    if (key === 'port') {
      return { key, value: recordedPort, display: display(key, recordedPort), source: 'default', from: recordedPort === undefined ? 'a free port is picked at the first deployment' : 'picked at the first deployment' };
    }
    return { key, value: y.value, display: display(key, y.value), source: 'default', from: `default of ${DEFS[key].yamlPath(env)}` };
  });
}
