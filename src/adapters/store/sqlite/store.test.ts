import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from './store.js';
import { migrations } from './migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const newRun = { app: 'a', commit: 'c'.repeat(40), ref: 'HEAD', message: 'm', author: 'x', trigger: 'cli', actor: 'me', configDigest: 'sha256:1', steps: [{ name: 'build', kind: 'build' as const, needs: [] }, { name: 'test', kind: 'command' as const, needs: ['build'] }] };

describe('sqlite store', () => {
  test('expireRunLogs replaces the output of runs finished before the cutoff by one note, never a run in flight', async () => {
    const s = openSqliteStore(join(dir, 'expire.db'));
    const old = await s.createRun(newRun, '2026-01-01T00:00:00.000Z');
    const fresh = await s.createRun(newRun, '2026-01-01T00:00:00.000Z');
    const running = await s.createRun(newRun, '2026-01-01T00:00:00.000Z');
    await s.updateRun(old.id, { status: 'passed', finishedAt: '2026-01-02T00:00:00.000Z' });
    await s.updateRun(fresh.id, { status: 'failed', finishedAt: '2026-01-20T00:00:00.000Z' });
    await s.updateRun(running.id, { status: 'running' });
    for (const r of [old, fresh, running]) for (const line of ['é one', 'two']) s.appendLog({ runId: r.id, step: 'build', at: '2026-01-01T00:00:00.000Z', stream: 'stdout', line });
    const note = 'the output of this run expired';
    assert.deepEqual(await s.expireRunLogs('2026-01-10T00:00:00.000Z', note, '2026-01-30T00:00:00.000Z', { dryRun: true }), { runs: 1, bytes: 9 });
    assert.equal((await s.readLogs(old.id)).length, 2, 'a dry run changes nothing');
    assert.deepEqual(await s.expireRunLogs('2026-01-10T00:00:00.000Z', note, '2026-01-30T00:00:00.000Z'), { runs: 1, bytes: 9 });
    assert.deepEqual((await s.readLogs(old.id)).map((l) => [l.seq, l.step, l.stream, l.line]), [[3, 'slipway', 'system', note]], 'numbered after the last line');
    assert.equal((await s.readLogs(fresh.id)).length, 2);
    assert.equal((await s.readLogs(running.id)).length, 2);
    assert.deepEqual(await s.expireRunLogs('2026-01-10T00:00:00.000Z', note, '2026-01-30T00:00:00.000Z'), { runs: 0, bytes: 0 }, 'an expired run is not expired again');
    assert.deepEqual(await s.expireRunLogs('2027-01-01T00:00:00.000Z', note, '2027-01-02T00:00:00.000Z'), { runs: 1, bytes: 9 }, 'still never the running one');
    await s.close();
  });

  test('migrates once, in WAL mode, and survives reopening', async () => {
    const file = join(dir, 'a.db');
    const latest = Math.max(...migrations.map((m) => m.version));
    const s1 = openSqliteStore(file);
    assert.equal(s1.schemaVersion, latest);
    await s1.createRun(newRun, '2026-01-01T00:00:00.000Z');
    await s1.close();
    const s2 = openSqliteStore(file);
    assert.equal(s2.schemaVersion, latest);
    const applied = new Database(file).prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
    assert.equal(applied.n, migrations.length, 'each migration applied exactly once');
    assert.equal((await s2.listRuns(10)).length, 1);
    await s2.close();
    const raw = new Database(file);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
  });

  test('numbers runs and keeps their steps in order', async () => {
    const s = openSqliteStore(join(dir, 'b.db'));
    const r1 = await s.createRun(newRun, '2026-01-01T00:00:00.000Z');
    const r2 = await s.createRun(newRun, '2026-01-01T00:00:01.000Z');
    assert.deepEqual([r1.id, r2.id], ['r1', 'r2']);
    assert.equal(r1.status, 'queued');
    await s.updateStep(r1.id, 'test', { status: 'failed', exitCode: 3, reason: 'exited with code 3' });
    const steps = await s.getSteps(r1.id);
    assert.deepEqual(steps.map((x) => [x.name, x.status, x.needs]), [['build', 'pending', []], ['test', 'failed', ['build']]]);
    assert.equal(steps[1]?.exitCode, 3);
    await s.updateRun(r1.id, { status: 'running' });
    assert.deepEqual((await s.unfinishedRuns()).map((r) => r.id), ['r1', 'r2']);
    await s.close();
  });

  test('buffers log lines and reads them back in order, numbered per run', async () => {
    const s = openSqliteStore(join(dir, 'c.db'));
    const r = await s.createRun(newRun, '2026-01-01T00:00:00.000Z');
    for (let i = 0; i < 5000; i++) s.appendLog({ runId: r.id, step: 'build', at: '2026-01-01T00:00:00.000Z', stream: 'stdout', line: `line ${i}` });
    const logs = await s.readLogs(r.id);
    assert.equal(logs.length, 5000);
    assert.equal(logs[4999]?.line, 'line 4999');
    assert.equal(logs[4999]?.seq, 5000);
    assert.deepEqual((await s.readLogs(r.id, 4998)).map((l) => l.seq), [4999, 5000]);
    await s.close();
  });

  test('finds an artifact by commit and build key', async () => {
    const s = openSqliteStore(join(dir, 'd.db'));
    await s.putArtifact({ digest: 'sha256:aa', commit: 'c1', buildKey: 'k1', size: 10, files: 1, createdAt: '2026-01-01T00:00:00.000Z' });
    await s.putArtifact({ digest: 'sha256:aa', commit: 'c1', buildKey: 'k1', size: 10, files: 1, createdAt: '2026-01-01T00:00:00.000Z' });
    assert.equal((await s.findArtifact('c1', 'k1'))?.digest, 'sha256:aa');
    assert.equal(await s.findArtifact('c1', 'k2'), undefined);
    assert.equal((await s.listArtifacts(10)).length, 1);
    await s.close();
  });

  test('chains events and detects tampering, which the database itself refuses', async () => {
    const file = join(dir, 'e.db');
    const s = openSqliteStore(file);
    for (let i = 0; i < 5; i++) await s.appendEvent({ kind: 'test', actor: 'me', subject: `r${i}`, data: { i } }, `2026-01-01T00:00:0${i}.000Z`);
    const ok = await s.verifyEvents();
    assert.equal(ok.ok, true);
    assert.equal(ok.count, 5);
    const events = await s.listEvents({});
    assert.equal(events[1]?.prevHash, events[0]?.hash);
    await s.close();

    const raw = new Database(file);
    assert.throws(() => raw.prepare("UPDATE events SET data = '{\"i\":9}' WHERE seq = 3").run(), /append-only/);
    // Someone with raw access drops the guard and edits history: the chain still tells.
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare("UPDATE events SET data = '{\"i\":9}' WHERE seq = 3").run();
    raw.close();
    const s2 = openSqliteStore(file);
    const bad = await s2.verifyEvents();
    assert.equal(bad.ok, false);
    assert.equal(bad.ok ? 0 : bad.seq, 3);
    await s2.close();
  });
});

describe('deployment phases in the store', () => {
  const deployment = {
    env: 'prod', release: 2, digest: 'sha256:2', commit: 'c'.repeat(40), author: 'a', trigger: 'deploy' as const, actor: 'me',
    strategy: 'blue-green' as const, phase: 'pending' as const, previousRelease: 1, startedAt: '2026-01-01T00:00:00.000Z', forced: false, plan: [], step: 0,
  };

  test('a phase moves only as canMove allows: an illegal move throws a clear internal error and changes nothing', async () => {
    const s = openSqliteStore(join(dir, 'phases.db'));
    const d = await s.createDeployment(deployment);
    await s.updateDeployment(d.id, { phase: 'starting' });
    await s.updateDeployment(d.id, { phase: 'verifying' });
    await assert.rejects(
      s.updateDeployment(d.id, { phase: 'pending', reason: 'nope' }),
      (e: Error) => e.name === 'IllegalPhaseMove' && /^internal error: deployment d1 cannot move from verifying to pending \(allowed from verifying: succeeded, held, failed, canceled\)$/.test(e.message),
    );
    const after = await s.getDeployment(d.id);
    assert.equal(after?.phase, 'verifying');
    assert.equal(after?.reason, undefined, 'the refused patch wrote nothing');
    await s.updateDeployment(d.id, { phase: 'succeeded', finishedAt: '2026-01-01T00:00:05.000Z' });
    await assert.rejects(s.updateDeployment(d.id, { phase: 'failed' }), /cannot move from succeeded to failed/);
    await s.close();
  });

  test('the cause and blame of a failure are stored with the deployment, and so is an alert rollback’s cause', async () => {
    const s = openSqliteStore(join(dir, 'cause.db'));
    const d = await s.createDeployment(deployment);
    assert.equal(d.cause, undefined);
    assert.equal(d.blame, undefined);
    await s.updateDeployment(d.id, { cause: 'check', blame: true, reason: 'error_rate breached' });
    const failed = await s.getDeployment(d.id);
    assert.deepEqual([failed?.cause, failed?.blame, failed?.reason], ['check', true, 'error_rate breached']);
    const rb = await s.createDeployment({ ...deployment, trigger: 'rollback', cause: 'alert', reason: 'alert HighErrors fired' });
    const stored = await s.getDeployment(rb.id);
    assert.deepEqual([stored?.cause, stored?.blame, stored?.reason], ['alert', undefined, 'alert HighErrors fired']);
    await s.close();
  });
});
