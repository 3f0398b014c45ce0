import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { logCutoff, planLogs, type LogFile } from './logs.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-05T12:00:00Z');
const policy = { logsDays: 14, logMaxBytes: 1000 };
const inst = (id: string, part: number, ageDays: number, bytes = 100, env = 'staging'): LogFile => ({
  path: `/h/logs/${env}/${id}.log${part === 0 ? '' : `.${part}`}`, owner: { kind: 'instance', env, id }, part, bytes, modifiedAt: NOW - ageDays * DAY,
});
const daemon = (name: 'server' | 'proxy', part: number, ageDays: number, bytes = 100): LogFile => ({
  path: `/h/${name}.log${part === 0 ? '' : `.${part}`}`, owner: { kind: 'daemon', name }, part, bytes, modifiedAt: NOW - ageDays * DAY,
});
const paths = (ds: { file: LogFile }[]): string[] => ds.map((d) => d.file.path).sort();

describe('planLogs', () => {
  test('old rotated files and old logs of instances that no longer run go; what is written stays', () => {
    const files = [inst('a', 0, 30), inst('a', 1, 31), inst('b', 0, 30), inst('b', 1, 20), inst('b', 2, 2), inst('c', 0, 3), daemon('server', 0, 30), daemon('server', 1, 15), daemon('proxy', 1, 1)];
    const plan = planLogs({ now: NOW, files, running: ['a'], inFlightEnvs: [] }, policy);
    assert.deepEqual(paths(plan.remove), ['/h/logs/staging/a.log.1', '/h/logs/staging/b.log', '/h/logs/staging/b.log.1', '/h/server.log.1']);
    assert.equal(plan.bytes, 400);
    assert.ok(paths(plan.keep).includes('/h/logs/staging/a.log'), 'a running instance keeps the file it writes, however old');
    assert.ok(paths(plan.keep).includes('/h/server.log'), "a daemon's own file is never removed");
    assert.match(plan.remove.find((d) => d.file.path.endsWith('b.log'))?.why ?? '', /no longer runs, last written 30 days ago \(retention\.logs_days: 14\)/);
    assert.deepEqual(plan.rotate, []);
  });

  test('nothing of an environment with a deployment in flight goes', () => {
    const files = [inst('a', 0, 30), inst('a', 3, 40), inst('x', 1, 40, 100, 'production')];
    const plan = planLogs({ now: NOW, files, running: [], inFlightEnvs: ['staging'] }, policy);
    assert.deepEqual(paths(plan.remove), ['/h/logs/production/x.log.1']);
    assert.match(plan.keep[0]?.why ?? '', /deployment of staging is in flight/);
  });

  test('files being written past the size are rotated, those nobody writes are not', () => {
    const files = [inst('a', 0, 0, 5000), inst('b', 0, 0, 5000), daemon('proxy', 0, 0, 1001), daemon('server', 0, 0, 1000), inst('a', 1, 0, 5000)];
    const plan = planLogs({ now: NOW, files, running: ['a'], inFlightEnvs: [] }, policy);
    assert.deepEqual(paths(plan.rotate), ['/h/logs/staging/a.log', '/h/proxy.log']);
    assert.deepEqual(plan.remove, []);
  });

  test('the cutoff of run output is logs_days before now', () => {
    assert.equal(logCutoff(NOW, policy), NOW - 14 * DAY);
  });
});
