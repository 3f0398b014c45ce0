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
  {
    version: 2,
    name: 'releases, deployments, environment state, leases, instances, bad digests',
    sql: `
      CREATE TABLE releases (
        env TEXT NOT NULL,
        number INTEGER NOT NULL,
        digest TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        config_version INTEGER NOT NULL,
        secret_versions TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (env, number)
      );
      CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        env TEXT NOT NULL,
        release INTEGER NOT NULL,
        digest TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        author TEXT NOT NULL,
        trigger TEXT NOT NULL,
        actor TEXT NOT NULL,
        strategy TEXT NOT NULL,
        phase TEXT NOT NULL,
        previous_release INTEGER,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        reason TEXT,
        rolled_back_to INTEGER,
        forced INTEGER NOT NULL DEFAULT 0,
        plan TEXT NOT NULL DEFAULT '[]',
        step INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX deployments_env ON deployments(env, number);
      -- Desired state of each environment, apart from what is observed running.
      CREATE TABLE env_state (
        env TEXT PRIMARY KEY,
        port INTEGER,
        current_release INTEGER,
        routes TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL
      );
      CREATE TABLE leases (
        env TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        purpose TEXT NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      -- Observed: instances the runtime started, so a restarted control plane can adopt them.
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        env TEXT NOT NULL,
        release INTEGER NOT NULL,
        info TEXT NOT NULL
      );
      CREATE TABLE bad_digests (
        digest TEXT NOT NULL,
        env TEXT NOT NULL,
        reason TEXT NOT NULL,
        marked_at TEXT NOT NULL,
        PRIMARY KEY (digest, env)
      );
    `,
  },
  {
    version: 3,
    name: 'benchmark results per run and step',
    sql: `
      CREATE TABLE bench_results (
        run_id TEXT NOT NULL,
        step TEXT NOT NULL,
        metrics TEXT NOT NULL,
        PRIMARY KEY (run_id, step)
      );
    `,
  },
  {
    version: 4,
    name: 'secret records (ciphertext only), config versions, infrastructure settings versions',
    sql: `
      -- Sealed secret versions: only ciphertext and what is needed to open it with the master
      -- key; a tombstone (kind 'tombstone') has no ciphertext. Never a clear value.
      CREATE TABLE secret_records (
        env TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('value', 'tombstone')),
        alg TEXT,
        key_id TEXT,
        salt TEXT,
        nonce TEXT,
        ciphertext TEXT,
        tag TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (env, name, version)
      ) WITHOUT ROWID;
      -- Non-secret config values of an environment, one immutable row per version.
      CREATE TABLE config_versions (
        env TEXT NOT NULL,
        version INTEGER NOT NULL,
        vals TEXT NOT NULL,
        changed_keys TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        PRIMARY KEY (env, version)
      ) WITHOUT ROWID;
      -- Infrastructure settings set with "slipway env set" (overrides of slipway.yaml), versioned like config.
      CREATE TABLE settings_versions (
        env TEXT NOT NULL,
        version INTEGER NOT NULL,
        vals TEXT NOT NULL,
        changed_keys TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        PRIMARY KEY (env, version)
      ) WITHOUT ROWID;
      ALTER TABLE releases ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    name: 'merge queue: items and batches',
    sql: `
      -- One change waiting for (or done with) the merge queue; its commit is kept in the canonical
      -- repository under refs/slipway/queue/<id>. JSON columns: run_ids, report, retries.
      CREATE TABLE queue_items (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        source TEXT NOT NULL,
        branch TEXT NOT NULL,
        sha TEXT NOT NULL,
        subject TEXT NOT NULL,
        author TEXT NOT NULL,
        actor TEXT NOT NULL,
        state TEXT NOT NULL,
        chunk TEXT,
        batch_id TEXT,
        run_ids TEXT NOT NULL DEFAULT '[]',
        merged_as TEXT,
        digest TEXT,
        report TEXT,
        retries TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX queue_items_state ON queue_items(state, number);
      -- Items tested together as one merged tree (items: JSON list of ids, in queue order).
      CREATE TABLE queue_batches (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        items TEXT NOT NULL,
        base_sha TEXT,
        tip_sha TEXT NOT NULL,
        run_id TEXT,
        state TEXT NOT NULL,
        reason TEXT,
        deployed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX queue_batches_state ON queue_batches(state, number);
    `,
  },
  {
    version: 7,
    name: 'verification state of deployments, per plan action',
    sql: `
      CREATE TABLE verifications (
        deployment_id TEXT NOT NULL,
        action INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (deployment_id, action)
      );
    `,
  },
  {
    version: 8,
    name: 'merge queue: the main it last wrote, and a move of main it did not make',
    sql: `
      -- One row: the commit the merge queue last put on the canonical main (sha NULL: no main
      -- yet), and, when main was found elsewhere, that move as JSON (the queue is stopped then).
      CREATE TABLE queue_main (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sha TEXT,
        written_at TEXT NOT NULL,
        halt TEXT
      );
    `,
  },
  {
    version: 9,
    name: 'why a deployment failed, and whether its release is to blame, stored with it',
    sql: `
      -- cause: start, check, crash, inconclusive, alert, canceled or error (core/deployment/types.ts);
      -- blame: 1 when the release itself is to blame (its digest is marked bad). NULL: not failed.
      ALTER TABLE deployments ADD COLUMN cause TEXT;
      ALTER TABLE deployments ADD COLUMN blame INTEGER;
    `,
  },
  {
    version: 10,
    name: 'named API tokens with a role, stored by their hash',
    sql: `
      -- A name is never reused, even after its token is revoked: the audit trail names the actor.
      CREATE TABLE api_tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_used_at TEXT
      );
    `,
  },
  {
    version: 11,
    name: 'a named API token may be scoped to one app of a server',
    sql: `
      -- NULL: every app (and the server itself); else the one app of a Slipway server it may touch.
      ALTER TABLE api_tokens ADD COLUMN app TEXT;
    `,
  },
  {
    version: 12,
    name: 'approvals: when a deployment awaiting approval is rejected if nobody decided',
    sql: `
      -- An ISO time (approval_timeout after the request); NULL: no timeout, or no approval needed.
      -- Who decided, and their comment, are in the event log (deployment.decided).
      ALTER TABLE deployments ADD COLUMN approval_deadline TEXT;
    `,
  },
  {
    version: 13,
    name: 'incoming webhooks: the remote pushed commits are fetched from, and the deliveries received',
    sql: `
      -- One row: the app's remote repository (the webhook secret is sealed in secret_records).
      CREATE TABLE webhook_remote (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        url TEXT NOT NULL,
        set_at TEXT NOT NULL,
        set_by TEXT NOT NULL
      );
      -- Every delivery id accepted (X-GitHub-Delivery, or sig-<signature> of a generic webhook):
      -- a second delivery with the same id is a replay and refused.
      CREATE TABLE webhook_deliveries (
        delivery TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        event TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT,
        received_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 14,
    name: 'the image a release runs in a container, by digest',
    sql: `
      -- host/repository@sha256:… for a release of an environment with runtime: docker; NULL: a process release.
      ALTER TABLE releases ADD COLUMN image TEXT;
    `,
  },
];
