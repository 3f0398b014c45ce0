// Versioned schema migrations of the SQLite store. Append new migrations; never edit an applied one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'runs, steps, logs, artifacts, events',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        app TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        ref TEXT NOT NULL,
        message TEXT NOT NULL,
        author TEXT NOT NULL,
        trigger TEXT NOT NULL,
        actor TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        digest TEXT,
        reason TEXT,
        config_digest TEXT NOT NULL
      );
      CREATE INDEX runs_status ON runs(status);
      CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs(id),
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        needs TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        exit_code INTEGER,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, name)
      );
      CREATE TABLE step_logs (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        step TEXT NOT NULL,
        at TEXT NOT NULL,
        stream TEXT NOT NULL,
        line TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE artifacts (
        digest TEXT PRIMARY KEY,
        commit_sha TEXT NOT NULL,
        run_id TEXT,
        build_key TEXT NOT NULL,
        size INTEGER NOT NULL,
        files INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX artifacts_commit ON artifacts(commit_sha, build_key);
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX events_subject ON events(subject, seq);
      -- The event log is append-only: the database itself refuses edits and deletions.
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    `,
  },
];
