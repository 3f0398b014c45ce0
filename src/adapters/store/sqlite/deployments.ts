// The deployment tables of the SQLite store: releases, deployments, desired environment state,
// leases, observed instances and bad digests.
import type Database from 'better-sqlite3';
import { decideLease, type Lease, type LeaseDecision } from '../../../core/deployment/lease.js';
import { assertMove, type Deployment, type FailureCause, type Release } from '../../../core/deployment/types.js';
import type { InstanceInfo } from '../../../ports/runtime.js';
import type { DeploymentPatch, DeploymentStore, EnvState, NewDeployment, StoredDeployment } from '../../../ports/store.js';
import type { Row } from './rows.js';

const opt = <T>(v: unknown, f: (x: unknown) => T): T | undefined => (v === null || v === undefined ? undefined : f(v));

const rowToRelease = (r: Row): Release => ({
  env: String(r.env),
  number: Number(r.number),
  digest: String(r.digest),
  commit: String(r.commit_sha),
  configVersion: Number(r.config_version),
  secretVersions: JSON.parse(String(r.secret_versions)) as Record<string, number>,
  settingsVersion: Number(r.settings_version ?? 0),
  ...(typeof r.image === 'string' ? { image: r.image } : {}),
  createdAt: String(r.created_at),
  createdBy: String(r.created_by),
});

const rowToDeployment = (r: Row): StoredDeployment => ({
  id: String(r.id),
  env: String(r.env),
  release: Number(r.release),
  digest: String(r.digest),
  commit: String(r.commit_sha),
  author: String(r.author),
  trigger: r.trigger as Deployment['trigger'],
  actor: String(r.actor),
  strategy: r.strategy as Deployment['strategy'],
  phase: r.phase as Deployment['phase'],
  previousRelease: opt(r.previous_release, Number),
  startedAt: String(r.started_at),
  finishedAt: opt(r.finished_at, String),
  reason: opt(r.reason, String),
  rolledBackTo: opt(r.rolled_back_to, Number),
  forced: Number(r.forced) === 1,
  cause: opt(r.cause, (x) => String(x) as FailureCause),
  blame: opt(r.blame, (x) => Number(x) === 1),
  approvalDeadline: opt(r.approval_deadline, String),
  plan: JSON.parse(String(r.plan)) as StoredDeployment['plan'],
  step: Number(r.step),
});

const rowToEnvState = (r: Row): EnvState => ({
  env: String(r.env),
  port: opt(r.port, Number),
  currentRelease: opt(r.current_release, Number),
  routes: JSON.parse(String(r.routes)) as EnvState['routes'],
  updatedAt: String(r.updated_at),
});

/** `durably` fsyncs the write it wraps (see store.ts). */
export const deploymentTables = (db: Database.Database, durably: <T>(fn: () => T) => T): DeploymentStore => ({
  createRelease(r) {
    durably(() =>
      db
        .prepare('INSERT INTO releases (env, number, digest, commit_sha, config_version, secret_versions, settings_version, image, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(r.env, r.number, r.digest, r.commit, r.configVersion, JSON.stringify(r.secretVersions), r.settingsVersion ?? 0, r.image ?? null, r.createdAt, r.createdBy),
    );
    return Promise.resolve();
  },
  listReleases(env) {
    return Promise.resolve((db.prepare('SELECT * FROM releases WHERE env = ? ORDER BY number').all(env) as Row[]).map(rowToRelease));
  },
  getRelease(env, n) {
    const row = db.prepare('SELECT * FROM releases WHERE env = ? AND number = ?').get(env, n) as Row | undefined;
    return Promise.resolve(row && rowToRelease(row));
  },

  createDeployment(d: NewDeployment) {
    const id = durably(() =>
      db.transaction(() => {
        const { n } = db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM deployments').get() as { n: number };
        const id = `d${n}`;
        db.prepare(
          `INSERT INTO deployments (id, number, env, release, digest, commit_sha, author, trigger, actor, strategy, phase, previous_release, started_at, forced, plan, step, reason, cause, blame, approval_deadline)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, n, d.env, d.release, d.digest, d.commit, d.author, d.trigger, d.actor, d.strategy, d.phase, d.previousRelease ?? null, d.startedAt, d.forced ? 1 : 0, JSON.stringify(d.plan), d.step, d.reason ?? null, d.cause ?? null, d.blame === undefined ? null : d.blame ? 1 : 0, d.approvalDeadline ?? null);
        return id;
      })(),
    );
    return Promise.resolve(rowToDeployment(db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as Row));
  },
  updateDeployment(id, patch: DeploymentPatch) {
    const cols: [string, unknown][] = (
      [
        ['phase', patch.phase],
        ['finished_at', patch.finishedAt],
        ['reason', patch.reason],
        ['rolled_back_to', patch.rolledBackTo],
        ['step', patch.step],
        ['started_at', patch.startedAt],
        ['plan', patch.plan === undefined ? undefined : JSON.stringify(patch.plan)],
        ['cause', patch.cause],
        ['blame', patch.blame === undefined ? undefined : patch.blame ? 1 : 0],
      ] as [string, unknown][]
    ).filter(([, v]) => v !== undefined);
    const update = (): unknown => db.prepare(`UPDATE deployments SET ${cols.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`).run(...cols.map(([, v]) => v), id);
    // A phase moves only as canMove allows (checked against the stored phase, in one transaction).
    const write = (): unknown =>
      patch.phase === undefined
        ? update()
        : db.transaction(() => {
            const row = db.prepare('SELECT phase FROM deployments WHERE id = ?').get(id) as { phase: Deployment['phase'] } | undefined;
            if (row && patch.phase !== undefined) assertMove(id, row.phase, patch.phase);
            return update();
          })();
    // Phase changes are fsynced; progress within a phase (the action index) need only survive a
    // crash of the process, and the next phase change carries it to disk.
    if (cols.length === 0) return Promise.resolve();
    try {
      if (patch.phase !== undefined || patch.finishedAt !== undefined) durably(write);
      else write();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return Promise.resolve();
  },
  getDeployment(id) {
    const row = db.prepare('SELECT * FROM deployments WHERE id = ?').get(id) as Row | undefined;
    return Promise.resolve(row && rowToDeployment(row));
  },
  listDeployments(env, limit) {
    const rows = (env === undefined
      ? db.prepare('SELECT * FROM deployments ORDER BY number DESC LIMIT ?').all(limit)
      : db.prepare('SELECT * FROM deployments WHERE env = ? ORDER BY number DESC LIMIT ?').all(env, limit)) as Row[];
    return Promise.resolve(rows.map(rowToDeployment));
  },
  unfinishedDeployments() {
    const rows = db.prepare('SELECT * FROM deployments WHERE finished_at IS NULL ORDER BY number').all() as Row[];
    return Promise.resolve(rows.map(rowToDeployment));
  },

  getEnvState(env) {
    const row = db.prepare('SELECT * FROM env_state WHERE env = ?').get(env) as Row | undefined;
    return Promise.resolve(row && rowToEnvState(row));
  },
  listEnvStates() {
    return Promise.resolve((db.prepare('SELECT * FROM env_state ORDER BY env').all() as Row[]).map(rowToEnvState));
  },
  putEnvState(s) {
    durably(() =>
      db
        .prepare(
          `INSERT INTO env_state (env, port, current_release, routes, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(env) DO UPDATE SET port = excluded.port, current_release = excluded.current_release, routes = excluded.routes, updated_at = excluded.updated_at`,
        )
        .run(s.env, s.port ?? null, s.currentRelease ?? null, JSON.stringify(s.routes), s.updatedAt),
    );
    return Promise.resolve();
  },

  acquireLease(want, now, ttlMs): Promise<LeaseDecision> {
    const tx = db.transaction((): LeaseDecision => {
      const row = db.prepare('SELECT * FROM leases WHERE env = ?').get(want.env) as Row | undefined;
      const existing: Lease | undefined = row && { env: String(row.env), holder: String(row.holder), purpose: String(row.purpose), acquiredAt: Number(row.acquired_at), expiresAt: Number(row.expires_at) };
      const d = decideLease(existing, want, now, ttlMs);
      if (d.ok) {
        db.prepare(
          `INSERT INTO leases (env, holder, purpose, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(env) DO UPDATE SET holder = excluded.holder, purpose = excluded.purpose, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
        ).run(d.lease.env, d.lease.holder, d.lease.purpose, d.lease.acquiredAt, d.lease.expiresAt);
      }
      return d;
    });
    return Promise.resolve(tx.immediate());
  },
  releaseLease(env, holder) {
    db.prepare('DELETE FROM leases WHERE env = ? AND holder = ?').run(env, holder);
    return Promise.resolve();
  },
  getLease(env) {
    const row = db.prepare('SELECT * FROM leases WHERE env = ?').get(env) as Row | undefined;
    return Promise.resolve(row && { env: String(row.env), holder: String(row.holder), purpose: String(row.purpose), acquiredAt: Number(row.acquired_at), expiresAt: Number(row.expires_at) });
  },

  putInstances(env, release, instances) {
    // Observed state: a record lost to a power cut is found again by adopting the shims.
    db.transaction(() => {
      db.prepare('DELETE FROM instances WHERE env = ? AND release = ?').run(env, release);
      const ins = db.prepare('INSERT INTO instances (id, env, release, info) VALUES (?, ?, ?, ?)');
      for (const i of instances) ins.run(i.id, env, release, JSON.stringify(i));
    })();
    return Promise.resolve();
  },
  removeInstances(env, release) {
    db.prepare('DELETE FROM instances WHERE env = ? AND release = ?').run(env, release);
    return Promise.resolve();
  },
  listInstances() {
    return Promise.resolve((db.prepare('SELECT info FROM instances ORDER BY env, release, id').all() as { info: string }[]).map((r) => JSON.parse(r.info) as InstanceInfo));
  },

  putVerification(id, action, record) {
    db.prepare('INSERT OR REPLACE INTO verifications (deployment_id, action, record) VALUES (?, ?, ?)').run(id, action, JSON.stringify(record));
    return Promise.resolve();
  },
  getVerification(id, action) {
    const row = db.prepare('SELECT record FROM verifications WHERE deployment_id = ? AND action = ?').get(id, action) as { record: string } | undefined;
    return Promise.resolve(row ? (JSON.parse(row.record) as unknown) : undefined);
  },

  markBadDigest(digest, env, reason, at) {
    durably(() => db.prepare('INSERT INTO bad_digests (digest, env, reason, marked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(digest, env, reason, at));
    return Promise.resolve();
  },
  badDigests(env) {
    return Promise.resolve(new Set((db.prepare('SELECT digest FROM bad_digests WHERE env = ?').all(env) as { digest: string }[]).map((r) => r.digest)));
  },
});
