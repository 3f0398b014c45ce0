import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRASH_POINT_NAMES, parseCrashAt } from '../../core/crash-points.js';
import { noCrash } from '../../ports/crash.js';
import { crashPointsFromEnv } from './kill.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });

describe('crash points', () => {
  test('off unless SLIPWAY_CRASH_AT is set: the port is noCrash', () => {
    assert.equal(crashPointsFromEnv({}), noCrash);
    assert.equal(crashPointsFromEnv({ SLIPWAY_CRASH_AT: '' }), noCrash);
  });

  test('kills at the named point only, at its n-th hit, once', () => {
    let kills = 0;
    const c = crashPointsFromEnv({ SLIPWAY_CRASH_AT: 'deploy.step-done@3' }, () => kills++);
    c.at('deploy.routed');
    c.at('deploy.step-done');
    c.at('deploy.step-done');
    assert.equal(kills, 0);
    c.at('deploy.step-done');
    assert.equal(kills, 1);
    c.at('deploy.step-done');
    assert.equal(kills, 1);
    const first = crashPointsFromEnv({ SLIPWAY_CRASH_AT: 'run.recorded' }, () => kills++);
    first.at('run.recorded');
    assert.equal(kills, 2);
  });

  test('a name that is no crash point is refused, listing the known ones', () => {
    for (const bad of ['deploy', 'deploy.nope', 'deploy.step-done@0', 'deploy.step-done@x', 'deploy.step-done@', 'DEPLOY.LOCKED', '__proto__.x', 'constructor.name', 'toString.x', 'a.b@1@2', 'x'.repeat(10_000)]) {
      const r = parseCrashAt(bad);
      assert.equal(r.ok, false, bad.slice(0, 40));
      if (!r.ok) {
        assert.match(r.message, /names no crash point/);
        assert.match(r.message, /deploy\.intent-recorded/);
        assert.ok(r.message.length < 2000);
      }
      assert.throws(() => crashPointsFromEnv({ SLIPWAY_CRASH_AT: bad }), /names no crash point/);
    }
    assert.deepEqual(parseCrashAt(' merge.main-moved@2 '), { ok: true, value: { point: 'merge.main-moved', hit: 2 } });
  });

  test('every point is called by the engine and listed in docs/testing.md', () => {
    const engine = sources(join(ROOT, 'src/engine')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const docs = readFileSync(join(ROOT, 'docs/testing.md'), 'utf8');
    for (const p of CRASH_POINT_NAMES) {
      assert.ok(engine.includes(`crash?.at('${p}')`), `${p} is called nowhere in src/engine`);
      assert.ok(docs.includes(`\`${p}\``), `${p} is not listed in docs/testing.md`);
    }
    const called = [...engine.matchAll(/crash\?\.at\('([^']+)'\)/g)].map((m) => m[1]);
    for (const c of called) assert.ok((CRASH_POINT_NAMES as string[]).includes(c ?? ''), `${c} is called but not a known point`);
  });
});
