// Cross-field rules over a normalised config: the step graph, promotion chains, artifact paths,
// ports and canary steps. Pure; each problem carries the friendly path it is about.

import type { RawIssue } from './issues.js';
import { didYouMean } from './suggest.js';
import { PIPELINE_ENV, WEBHOOK_ENV } from '../core/secrets/names.js';
import { HOME_DIR_NAME } from '../core/secrets/records.js';
import type { EnvironmentSpec, GateSpec, SlipwayConfig } from './types.js';

export interface RuleIssue extends RawIssue {
  severity: 'error' | 'warning';
}

const BUILD = 'build';

/** Every broken cross-field rule; `now` decides which audit ignore entries have expired. */
export function checkRules(config: SlipwayConfig, now: Date = new Date()): RuleIssue[] {
  return [
    ...stepRules(config.gates),
    ...artifactRules(config.build.artifact),
    ...runRules(config),
    ...environmentRules(config.environments),
    ...runtimeRules(config),
    ...hostRules(config.environments),
    ...auditRules(config.gates, now),
    ...allowlistRules(config.gates),
    ...envSecretOverlap(config),
  ];
}

const error = (path: RawIssue['path'], message: string, more: Partial<RuleIssue> = {}): RuleIssue => ({
  path,
  message,
  severity: 'error',
  ...more,
});

function stepRules(gates: GateSpec[]): RuleIssue[] {
  const out: RuleIssue[] = [];
  const names = [BUILD, ...gates.map((g) => g.name)];
  for (const g of gates) {
    if (g.name === BUILD) {
      out.push(error(['gates', g.name], '"build" is the name of the build step', { at: 'key', hint: 'name this gate differently' }));
    }
    g.needs.forEach((need, i) => {
      if (names.includes(need)) return;
      const guess = didYouMean(need, names);
      out.push(
        error(['gates', g.name, 'needs', i], `unknown step "${need}" in needs`, {
          expected: `one of ${names.join(', ')}`,
          hint: guess ? `did you mean "${guess}"?` : undefined,
        }),
      );
    });
  }
  const cycle = findCycle(gates);
  if (cycle) {
    const [first, second] = cycle;
    const gate = gates.find((g) => g.name === first);
    const index = gate?.needs.indexOf(second ?? '') ?? 0;
    out.push(
      error(['gates', first ?? '', 'needs', index], `needs form a cycle: ${cycle.join(' → ')}`, {
        hint: 'remove one of these needs; steps must form a graph without loops',
      }),
    );
  }
  return out;
}

/** The first cycle in the needs graph, as names from a step back to itself, or undefined. */
export function findCycle(gates: GateSpec[]): string[] | undefined {
  const needs = new Map(gates.map((g) => [g.name, g.needs]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of needs.get(name) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const g of gates) {
    const found = visit(g.name);
    if (found) return found;
  }
  return undefined;
}

function artifactRules(paths: string[]): RuleIssue[] {
  const out: RuleIssue[] = [];
  paths.forEach((p, i) => {
    const at = ['build', 'artifact', i];
    if (p.startsWith('/') || p.startsWith('~') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\')) {
      out.push(error(at, `artifact path "${p}" is absolute`, { expected: 'a path relative to the repository root, e.g. dist/' }));
      return;
    }
    let depth = 0;
    for (const seg of p.split(/[\\/]/)) {
      if (seg === '..') depth--;
      else if (seg !== '' && seg !== '.') depth++;
      if (depth < 0) {
        out.push(error(at, `artifact path "${p}" leaves the repository`, { expected: 'a path inside the repository, without ..' }));
        return;
      }
    }
  });
  return out;
}

function runRules(config: SlipwayConfig): RuleIssue[] {
  const out: RuleIssue[] = [];
  if (config.environments.length > 0 && config.run.command === '') {
    out.push(
      error(['run', 'command'], 'run.command is required to deploy to environments', {
        hint: 'add `run: { command: npm start }` (PORT is injected)',
      }),
    );
  }
  return out;
}

/** `runtime: docker` runs the image of the artifact: without `build.image` there is none. */
function runtimeRules(config: SlipwayConfig): RuleIssue[] {
  if (config.build.image !== undefined) return [];
  return config.environments
    .filter((env) => env.runtime === 'docker')
    .map((env) => error(['environments', env.name, 'runtime'], 'runtime: docker needs build.image: true: a container runs the image of the artifact', { hint: 'add `image: true` and `registry: host[:port]/repository` to build' }));
}

/** `hosts:` runs containers on other machines' engines, each behind its own proxy on the environment's port. */
function hostRules(envs: EnvironmentSpec[]): RuleIssue[] {
  const out: RuleIssue[] = [];
  for (const env of envs) {
    if (env.hosts === undefined) {
      if (env.onHostDown !== undefined) out.push(error(['environments', env.name, 'on_host_down'], 'on_host_down does nothing without hosts', { hint: 'add `hosts:` to the environment, or remove on_host_down' }));
      continue;
    }
    if (env.runtime !== 'docker') out.push(error(['environments', env.name, 'hosts'], 'hosts: needs runtime: docker: Slipway runs containers on other hosts, never processes', { hint: 'add `runtime: docker` to the environment (and build.image), or remove hosts' }));
    if (env.port === undefined) out.push(error(['environments', env.name, 'hosts'], 'hosts: needs a port: each host\'s proxy serves the environment on it', { hint: 'add `port: N` to the environment (the port your load balancer sends to on every host)' }));
    const seen = { name: new Map<string, number>(), docker: new Map<string, number>(), proxy: new Map<string, number>() };
    env.hosts.forEach((h, i) => {
      for (const key of ['name', 'docker', 'proxy'] as const) {
        const first = seen[key].get(h[key]);
        if (first !== undefined) out.push(error(['environments', env.name, 'hosts', i, key], `${key === 'name' ? `host ${h.name}` : `the ${key} socket ${h[key]}`} is listed twice in hosts (also at hosts[${first}])`, { hint: 'each host once, with its own sockets' }));
        else seen[key].set(h[key], i);
      }
    });
  }
  return out;
}

function environmentRules(envs: EnvironmentSpec[]): RuleIssue[] {
  const out: RuleIssue[] = [];
  const names = envs.map((e) => e.name);
  const byPort = new Map<number, string>();
  const byDomain = new Map<string, string>();
  for (const env of envs) {
    const at = (...rest: (string | number)[]) => ['environments', env.name, ...rest];
    if (env.name === PIPELINE_ENV) {
      out.push(error(at(), `"${PIPELINE_ENV}" is reserved: it holds the secrets that pipeline steps declare`, { at: 'key', hint: 'name this environment differently, e.g. "testing"' }));
    }
    if (env.name === WEBHOOK_ENV) {
      out.push(error(at(), `"${WEBHOOK_ENV}" is reserved: it holds the app's incoming-webhook secret`, { at: 'key', hint: 'name this environment differently' }));
    }
    // A timeout of an approval nobody waits for would be accepted and do nothing.
    if (env.approvalTimeoutMs !== undefined && env.approval !== 'required') {
      out.push(error(at('approval_timeout'), 'approval_timeout does nothing without approval: required', { hint: 'add `approval: required` to this environment, or remove approval_timeout' }));
    } else if (env.approvalTimeoutMs === 0) {
      out.push(error(at('approval_timeout'), 'approval_timeout: 0 would reject every deployment at once', { expected: 'a duration such as 30m or 2h, or no approval_timeout to wait until someone decides' }));
    }
    if (env.promoteFrom !== undefined) {
      if (env.promoteFrom === env.name) {
        out.push(error(at('promote_from'), `environment "${env.name}" cannot promote from itself`, { expected: 'another environment' }));
      } else if (!names.includes(env.promoteFrom)) {
        const guess = didYouMean(env.promoteFrom, names);
        out.push(
          error(at('promote_from'), `unknown environment "${env.promoteFrom}"`, {
            expected: `one of ${names.filter((n) => n !== env.name).join(', ') || '(no other environment)'}`,
            hint: guess ? `did you mean "${guess}"?` : undefined,
          }),
        );
      } else if (envs.find((e) => e.name === env.promoteFrom)?.verify.enabled === false) {
        out.push({
          path: at('promote_from'),
          severity: 'warning',
          message: `"${env.promoteFrom}" has verify: false, so what reaches "${env.name}" was never verified`,
          hint: `turn verification on in "${env.promoteFrom}"`,
        });
      }
    }
    if (env.port !== undefined) {
      const other = byPort.get(env.port);
      if (other !== undefined) out.push(error(at('port'), `port ${env.port} is already used by environment "${other}"`));
      else byPort.set(env.port, env.name);
    }
    (env.domains ?? []).forEach((d, i) => {
      const other = byDomain.get(d);
      if (other === env.name) out.push(error(at('domains', i), `domain ${d} is listed twice`));
      else if (other !== undefined) out.push(error(at('domains', i), `domain ${d} is claimed by both environment "${other}" and environment "${env.name}"`, { hint: 'a domain belongs to one environment: remove it from one of them' }));
      else byDomain.set(d, env.name);
    });
    if (env.strategy.kind === 'canary') out.push(...canaryRules(env.strategy.steps, at('strategy', 'canary')));
    if (env.verify.enabled && env.verify.windowMs < env.verify.intervalMs) {
      out.push(error(at('verify', 'window'), 'the verification window is shorter than its interval', { hint: 'make window at least interval' }));
    }
  }
  const loop = promotionLoop(envs);
  if (loop) out.push(error(['environments', loop[0] ?? '', 'promote_from'], `promote_from forms a loop: ${loop.join(' ← ')}`));
  return out;
}

function canaryRules(steps: number[], at: (string | number)[]): RuleIssue[] {
  const pct = (f: number) => `${Number((f * 100).toPrecision(12))}%`;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] ?? 0;
    if (step <= 0) return [error([...at, i], 'a canary step must send some traffic', { expected: 'more than 0%' })];
    const prev = steps[i - 1];
    if (prev !== undefined && step <= prev) {
      return [error([...at, i], `canary steps must increase: ${pct(step)} comes after ${pct(prev)}`)];
    }
  }
  const last = steps[steps.length - 1];
  if (last !== 1) {
    return [error([...at, steps.length - 1], `the last canary step is ${pct(last ?? 0)}, not 100%`, { hint: 'end the list with 100%' })];
  }
  return [];
}

/** A promotion chain that comes back to where it started (staging ← production ← staging). */
function promotionLoop(envs: EnvironmentSpec[]): string[] | undefined {
  const from = new Map(envs.map((e) => [e.name, e.promoteFrom]));
  for (const env of envs) {
    const seen = [env.name];
    let next = from.get(env.name);
    while (next !== undefined && next !== env.name && !seen.includes(next)) {
      seen.push(next);
      next = from.get(next);
    }
    if (next === env.name && seen.length > 1) return [...seen, env.name];
  }
  return undefined;
}

function auditRules(gates: GateSpec[], now: Date): RuleIssue[] {
  const out: RuleIssue[] = [];
  const today = now.toISOString().slice(0, 10);
  for (const g of gates) {
    if (g.kind !== 'dependency-audit') continue;
    g.ignore.forEach((entry, i) => {
      if (entry.expires < today) {
        out.push({
          path: ['gates', g.name, 'audit', 'ignore', i, 'expires'],
          severity: 'warning',
          message: `ignore entry for ${entry.id} expired on ${entry.expires}; the advisory counts again`,
          hint: 'fix the dependency, or extend the date with a fresh reason',
        });
      }
    });
  }
  return out;
}

/**
 * The scan reads its allowlist from the clean checkout of the commit, so the file must be
 * committed: one under Slipway's own ignored state directory never is.
 */
function allowlistRules(gates: GateSpec[]): RuleIssue[] {
  return gates.flatMap((g) =>
    g.kind === 'secret-scan' && g.allowlist !== undefined && g.allowlist.replace(/^(?:\.\/)+/, '').split(/[\\/]/)[0] === HOME_DIR_NAME
      ? [
          error(['gates', g.name, 'scan', 'allowlist'], `the allowlist ${g.allowlist} is under ${HOME_DIR_NAME}/, which is never committed, so the scan of a commit cannot read it`, {
            hint: 'keep it at the repository root, e.g. slipway-allowlist.yaml, and commit it',
          }),
        ]
      : [],
  );
}

function envSecretOverlap(config: SlipwayConfig): RuleIssue[] {
  const places: Array<{ at: (string | number)[]; env: Record<string, string>; secrets: string[] }> = [
    { at: ['build'], env: config.build.env, secrets: config.build.secrets },
    ...config.gates.flatMap((g) => ('env' in g ? [{ at: ['gates', g.name], env: g.env, secrets: g.secrets }] : [])),
  ];
  return places.flatMap(({ at, env, secrets }) =>
    secrets
      .filter((s) => s in env)
      .map((s) => error([...at, 'env', s], `"${s}" is both a literal in env and a secret`, { at: 'key', hint: `remove it from env` })),
  );
}
