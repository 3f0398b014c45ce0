// The embedded store: SQLite through better-sqlite3, in WAL mode.
//
// Durability has two levels. Every commit survives a crash of the process (kill -9): in WAL mode
// with synchronous=NORMAL a committed transaction is in the operating system's hands before the
// call returns. Transitions that other state hangs on — a run created or finished, an artifact
// recorded, later a deployment's intent — are also fsynced (synchronous=FULL, ≈ 2.5 ms here), so
// they survive a power loss too; the fsync also carries every earlier NORMAL commit to disk.
// Step transitions and events in between use NORMAL (≈ 0.02 ms), which is what keeps the
// per-step overhead of the orchestrator within a few milliseconds. Log lines are buffered and
// written in batches.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { GENESIS_HASH, hashEvent, verifyChain, type EventInput, type StoredEvent } from '../../../core/events/chain.js';
import type { LogLine, RunRecord, StepRecord } from '../../../core/run.js';
import type { ArtifactRecord, DeploymentStore, NewRun, RunPatch, StepPatch, Store } from '../../../ports/store.js';
import { deploymentTables } from './deployments.js';
import { migrations } from './migrations.js';
import { rowToArtifact, rowToEvent, rowToRun, rowToStep, type Row } from './rows.js';

const LOG_BATCH = 2000;
const LOG_FLUSH_MS = 50;

export interface SqliteStoreOptions {
  /** Open without writing (no migrations); for readers other than the control plane. */
  readonly?: boolean;
}

/**
 * The database and its -wal and -shm files are 0600 whatever the umask: SQLite gives the -wal and
 * -shm files the mode of the database file, so the file is made 0600 before SQLite opens it, and
 * all three are corrected after (a database made by an older version, or under another umask).
 */
export const createPrivately = (file: string): void => {
  if (file === ':memory:' || file === '') return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
};

export const tightenDatabaseFiles = (file: string): void => {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o777) !== 0o600) chmodSync(f, 0o600);
    } catch {
      // Not there (yet): SQLite makes it with the database file's mode.
    }
  }
};

/**
 * Makes `db.prepare` return one statement per SQL text, prepared once: preparing costs more than
 * most of the small reads and writes a run makes per step (it was a third of the store's time).
 * No caller sets a mode on a statement (pluck, raw, expand), so sharing one is safe; the cache is
 * emptied past 256 texts.
 */
const preparedOnce = (db: Database.Database): Database.Database => {
  const cache = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      if (cache.size >= 256) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof db.prepare;
  return db;
};

export const openSqliteStore = (file: string, opts: SqliteStoreOptions = {}): SqliteStore & DeploymentStore => {
  if (!opts.readonly) createPrivately(file);
  const db = preparedOnce(new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false }));
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    tightenDatabaseFiles(file);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  const store = new SqliteStore(db);
  return Object.assign(store, deploymentTables(db, (fn) => store.durably(fn)));
};

/** Applies the migrations not yet applied, each in its own transaction (idempotent). */
/**
 * A second connection to the store's file for tables whose every write is fsynced (secrets,
 * config, the merge queue), migrated like the main one.
 */
export const openDurableConnection = (file: string): Database.Database => {
  createPrivately(file);
  const db = preparedOnce(new Database(file));
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  tightenDatabaseFiles(file);
  db.pragma('synchronous = FULL');
  migrate(db);
  return db;
};

export const migrate = (db: Database.Database): void => {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
  }
};

export class SqliteStore implements Omit<Store, keyof DeploymentStore> {
  private pendingLogs: LogLine[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly nextLogSeq = new Map<string, number>();

  constructor(private readonly db: Database.Database) {}

  get schemaVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  createRun(run: NewRun, at: string): Promise<RunRecord> {
    const tx = this.db.transaction(() => {
      const { n } = this.db.prepare('SELECT COALESCE(MAX(number), 0) + 1 AS n FROM runs').get() as { n: number };
      const id = `r${n}`;
      this.db
        .prepare(
          `INSERT INTO runs (id, number, app, commit_sha, ref, message, author, trigger, actor, status, created_at, config_digest)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
        )
        .run(id, n, run.app, run.commit, run.ref, run.message, run.author, run.trigger, run.actor, at, run.configDigest);
      const insertStep = this.db.prepare(
        `INSERT INTO steps (run_id, position, name, kind, needs, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
      );
      run.steps.forEach((s, i) => insertStep.run(id, i, s.name, s.kind, JSON.stringify(s.needs)));
      return id;
    });
    const id = this.durably(tx);
    return Promise.resolve(this.mustGetRun(id));
  }

  updateRun(id: string, patch: RunPatch): Promise<void> {
    const write = (): void =>
      this.update('runs', 'id = ?', [id], {
        status: patch.status,
        started_at: patch.startedAt,
        finished_at: patch.finishedAt,
        digest: patch.digest,
        reason: patch.reason,
      });
    // A run's end is what later work (deploys of its artifact) hangs on: that one is fsynced.
    if (patch.finishedAt !== undefined) this.durably(write);
    else write();
    return Promise.resolve();
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return Promise.resolve(row && rowToRun(row));
  }

  listRuns(limit: number): Promise<RunRecord[]> {
    const rows = this.db.prepare('SELECT * FROM runs ORDER BY number DESC LIMIT ?').all(limit) as Row[];
    return Promise.resolve(rows.map(rowToRun));
  }

  unfinishedRuns(): Promise<RunRecord[]> {
    const rows = this.db.prepare("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY number").all() as Row[];
    return Promise.resolve(rows.map(rowToRun));
  }

  getSteps(runId: string): Promise<StepRecord[]> {
    const rows = this.db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY position').all(runId) as Row[];
    return Promise.resolve(rows.map(rowToStep));
  }

  updateStep(runId: string, name: string, patch: StepPatch): Promise<void> {
    this.update('steps', 'run_id = ? AND name = ?', [runId, name], {
      status: patch.status,
      started_at: patch.startedAt,
      finished_at: patch.finishedAt,
      exit_code: patch.exitCode,
      reason: patch.reason,
      attempts: patch.attempts,
    });
    return Promise.resolve();
  }

  appendLog(line: Omit<LogLine, 'seq'>): LogLine {
    let seq = this.nextLogSeq.get(line.runId);
    if (seq === undefined) {
      const row = this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM step_logs WHERE run_id = ?').get(line.runId) as { s: number };
      seq = row.s;
    }
    seq++;
    this.nextLogSeq.set(line.runId, seq);
    const stored = { ...line, seq };
    this.pendingLogs.push(stored);
    if (this.pendingLogs.length >= LOG_BATCH) this.writeLogs();
    else this.flushTimer ??= setTimeout(() => this.writeLogs(), LOG_FLUSH_MS);
    return stored;
  }

  flushLogs(): Promise<void> {
    this.writeLogs();
    return Promise.resolve();
  }

  private writeLogs(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingLogs.length === 0) return;
    const lines = this.pendingLogs;
    this.pendingLogs = [];
    const insert = this.db.prepare('INSERT INTO step_logs (run_id, seq, step, at, stream, line) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const l of lines) insert.run(l.runId, l.seq, l.step, l.at, l.stream, l.line);
    })();
  }

  readLogs(runId: string, afterSeq = 0, limit = 100_000): Promise<LogLine[]> {
    this.writeLogs();
    const rows = this.db
      .prepare('SELECT * FROM step_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(runId, afterSeq, limit) as Row[];
    return Promise.resolve(
      rows.map((r) => ({ runId: String(r.run_id), seq: Number(r.seq), step: String(r.step), at: String(r.at), stream: r.stream as LogLine['stream'], line: String(r.line) })),
    );
  }

  expireRunLogs(finishedBefore: string, note: string, at: string, opts: { dryRun?: boolean } = {}): Promise<{ runs: number; bytes: number }> {
    this.writeLogs();
    const rows = this.db
      .prepare(
        `SELECT l.run_id AS id, SUM(LENGTH(CAST(l.line AS BLOB))) AS bytes, COUNT(*) AS n, MAX(l.seq) AS last, MAX(l.step = 'slipway' AND l.line = ?) AS noted
         FROM step_logs l JOIN runs r ON r.id = l.run_id
         WHERE r.status IN ('passed', 'failed', 'canceled') AND r.finished_at IS NOT NULL AND r.finished_at < ?
         GROUP BY l.run_id`,
      )
      .all(note, finishedBefore) as { id: string; bytes: number; n: number; last: number; noted: number }[];
    const expired = rows.filter((r) => !(r.n === 1 && r.noted === 1));
    const answer = { runs: expired.length, bytes: expired.reduce((s, r) => s + r.bytes, 0) };
    if (expired.length === 0 || opts.dryRun === true) return Promise.resolve(answer);
    const drop = this.db.prepare('DELETE FROM step_logs WHERE run_id = ?');
    const insert = this.db.prepare("INSERT INTO step_logs (run_id, seq, step, at, stream, line) VALUES (?, ?, 'slipway', ?, 'system', ?)");
    this.durably(() => this.db.transaction(() => {
      for (const r of expired) {
        drop.run(r.id);
        // After the last number handed out, so that a reader resuming after it sees the note.
        insert.run(r.id, r.last + 1, at, note);
        this.nextLogSeq.delete(r.id);
      }
    })());
    return Promise.resolve(answer);
  }

  putArtifact(a: ArtifactRecord): Promise<void> {
    this.durably(() => this.db
      .prepare(
        `INSERT INTO artifacts (digest, commit_sha, run_id, build_key, size, files, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(digest) DO NOTHING`,
      )
      .run(a.digest, a.commit, a.runId ?? null, a.buildKey, a.size, a.files, a.createdAt));
    return Promise.resolve();
  }

  getArtifact(digest: string): Promise<ArtifactRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE digest = ?').get(digest) as Row | undefined;
    return Promise.resolve(row && rowToArtifact(row));
  }

  findArtifact(commit: string, buildKey: string): Promise<ArtifactRecord | undefined> {
    const row = this.db
      .prepare('SELECT * FROM artifacts WHERE commit_sha = ? AND build_key = ? ORDER BY created_at DESC LIMIT 1')
      .get(commit, buildKey) as Row | undefined;
    return Promise.resolve(row && rowToArtifact(row));
  }

  listArtifacts(limit: number): Promise<ArtifactRecord[]> {
    const rows = this.db.prepare('SELECT * FROM artifacts ORDER BY created_at DESC LIMIT ?').all(limit) as Row[];
    return Promise.resolve(rows.map(rowToArtifact));
  }

  putBenchResult(runId: string, step: string, metrics: unknown[]): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO bench_results (run_id, step, metrics) VALUES (?, ?, ?)').run(runId, step, JSON.stringify(metrics));
    return Promise.resolve();
  }

  baselineBench(step: string, excludeRunId: string): Promise<{ runId: string; metrics: unknown[] } | undefined> {
    const row = this.db
      .prepare(
        `SELECT b.run_id, b.metrics FROM bench_results b JOIN runs r ON r.id = b.run_id
         WHERE b.step = ? AND r.status = 'passed' AND r.id != ? ORDER BY r.number DESC LIMIT 1`,
      )
      .get(step, excludeRunId) as { run_id: string; metrics: string } | undefined;
    return Promise.resolve(row && { runId: row.run_id, metrics: JSON.parse(row.metrics) as unknown[] });
  }

  appendEvent(e: EventInput, at: string): Promise<StoredEvent> {
    const tx = this.db.transaction((): StoredEvent => {
      const last = this.db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      const base = { ...e, seq: (last?.seq ?? 0) + 1, at, prevHash: last?.hash ?? GENESIS_HASH };
      const stored = { ...base, hash: hashEvent(base) };
      this.db
        .prepare('INSERT INTO events (seq, at, kind, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(stored.seq, stored.at, stored.kind, stored.actor, stored.subject, JSON.stringify(stored.data), stored.prevHash, stored.hash);
      return stored;
    });
    return Promise.resolve(tx.immediate());
  }

  listEvents(opts: { subject?: string; afterSeq?: number; limit?: number }): Promise<StoredEvent[]> {
    const rows = (
      opts.subject === undefined
        ? this.db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(opts.afterSeq ?? 0, opts.limit ?? 1000)
        : this.db
            .prepare('SELECT * FROM events WHERE subject = ? AND seq > ? ORDER BY seq LIMIT ?')
            .all(opts.subject, opts.afterSeq ?? 0, opts.limit ?? 1000)
    ) as Row[];
    return Promise.resolve(rows.map(rowToEvent));
  }

  verifyEvents(): Promise<ReturnType<typeof verifyChain>> {
    const rows = this.db.prepare('SELECT * FROM events ORDER BY seq').iterate() as IterableIterator<Row>;
    return Promise.resolve(verifyChain((function* () { for (const r of rows) yield rowToEvent(r); })()));
  }

  close(): Promise<void> {
    this.writeLogs();
    this.db.close();
    return Promise.resolve();
  }

  /** Runs `fn` (one write or transaction) with an fsync at its commit; see the top of this file. */
  durably<T>(fn: () => T): T {
    this.db.pragma('synchronous = FULL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  private mustGetRun(id: string): RunRecord {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new Error(`run ${id} vanished right after it was created`);
    return rowToRun(row);
  }

  /** Updates the given columns; undefined values are left as they are. */
  private update(table: string, where: string, whereArgs: unknown[], values: Record<string, unknown>): void {
    const cols = Object.entries(values).filter(([, v]) => v !== undefined);
    if (cols.length === 0) return;
    const sql = `UPDATE ${table} SET ${cols.map(([k]) => `${k} = ?`).join(', ')} WHERE ${where}`;
    this.db.prepare(sql).run(...cols.map(([, v]) => v), ...whereArgs);
  }
}
