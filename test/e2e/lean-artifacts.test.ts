// Lean, pinned artifacts (issue 15.9), end to end with the real CLI: source maps and tests stay out
// of the packed tree unless build.keep asks for them; provenance records the runtime the build ran
// on, and an artifact built on another runtime is not reused; npm's cache outlives each run, so a
// second `npm ci` of the same lockfile takes its tarball from the cache, not from the registry.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TempRepo } from './harness.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { createArtifactService } from '../../src/adapters/artifacts/service.js';
import { loadOrCreateSigner } from '../../src/adapters/signing/ed25519.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../src/core/artifact/dsse.js';
import { statementBytes, type Statement } from '../../src/core/artifact/provenance.js';

const repos: TempRepo[] = [];
const track = (r: TempRepo): TempRepo => (repos.push(r), r);
after(async () => {
  for (const r of repos) await r.dispose();
});

interface Inspect {
  details: { paths: string[]; provenance: { statement: Statement } };
}

const inspect = async (repo: TempRepo, digest: string): Promise<Inspect['details']> => {
  const r = await repo.cli(['artifacts', 'inspect', digest]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Inspect).details;
};

const build = async (repo: TempRepo): Promise<{ digest: string; existed: boolean; runId: string | null }> => {
  const r = await repo.cli(['build', '--json']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as { digest: string; existed: boolean; runId: string | null };
};

/** A build whose output holds a source map, test files and a test directory beside the app. */
const leanApp = (keep: string): Record<string, string> => ({
  'slipway.yaml': [
    'app: lean',
    'build:',
    '  run: mkdir -p dist/__tests__ dist/lib && echo app > dist/app.js && echo map > dist/app.js.map && echo t > dist/app.test.js && echo t > dist/__tests__/a.js && echo s > dist/lib/b.spec.ts && echo kept > dist/lib/map.js',
    '  artifact: [dist/, tests/fixture.json]',
    ...(keep ? [`  keep: ${keep}`] : []),
  ].join('\n'),
  'tests/fixture.json': '{}\n',
});

void describe('lean artifacts: source maps and tests are left out unless kept', () => {
  test('by default the packed tree has no .map or test files; a listed path is packed all the same', async () => {
    const repo = track(new TempRepo().write(leanApp('')));
    repo.commit('lean');
    const b = await build(repo);
    const { paths } = await inspect(repo, b.digest);
    assert.ok(paths.includes('dist/app.js') && paths.includes('dist/lib/map.js'), paths.join(' '));
    assert.ok(paths.includes('tests/fixture.json'), 'a path listed in build.artifact is always packed');
    for (const p of paths) assert.doesNotMatch(p, /\.map$|\.test\.js$|\.spec\.ts$|__tests__/, p);
    const logs = await repo.cli(['logs', b.runId ?? '', '--step', 'build']);
    assert.match(logs.stdout, /left out 4 entries: source maps/);
  });

  test('build.keep: [source-maps, tests] keeps them', async () => {
    const repo = track(new TempRepo().write(leanApp('[source-maps, tests]')));
    repo.commit('keep');
    const { paths } = await inspect(repo, (await build(repo)).digest);
    for (const p of ['dist/app.js.map', 'dist/app.test.js', 'dist/__tests__/a.js', 'dist/lib/b.spec.ts']) assert.ok(paths.includes(p), `${p} in ${paths.join(' ')}`);
  });

  test('a run.command whose entry the rule leaves out fails the build with the fix', async () => {
    const repo = track(new TempRepo().write({
      'slipway.yaml': 'app: lean\nbuild:\n  run: mkdir -p dist/test && echo x > dist/test/server.js\n  artifact: [dist/]\nrun:\n  command: node dist/test/server.js\n',
    }));
    repo.commit('entry in tests');
    const r = await repo.cli(['build', '--json']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /dist\/test\/server\.js, which the artifact leaves out as one of its tests: add build\.keep: \[tests\]/);
  });
});

void describe('pinned artifacts: the runtime of the build', () => {
  test('provenance records Node, platform and architecture; an artifact built on another runtime is not reused', async () => {
    const repo = track(new TempRepo().write({ 'slipway.yaml': 'app: pinned\nbuild:\n  run: mkdir -p dist && echo x > dist/out.txt\n  artifact: [dist/]\n' }));
    repo.commit('pinned');
    const first = await build(repo);
    const { provenance } = await inspect(repo, first.digest);
    const internal = provenance.statement.predicate.buildDefinition.internalParameters;
    assert.deepEqual(internal.runtime, { node: process.version, platform: process.platform, arch: process.arch });
    assert.equal((await build(repo)).existed, true, 'built on this runtime: reused');

    // The same artifact, as if built on another machine's Node: its provenance re-signed with the
    // home's key and another runtime (a real record of another build, not a broken one).
    const home = join(repo.dir, '.slipway');
    const service = await createArtifactService({ home });
    const signer = await loadOrCreateSigner(home);
    const other: Statement = JSON.parse(JSON.stringify(provenance.statement)) as Statement;
    other.predicate.buildDefinition.internalParameters.runtime = { node: 'v18.19.0', platform: process.platform, arch: process.arch };
    await service.store.putProvenance(first.digest, signer.signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(other)), { replace: true });
    assert.equal((await repo.cli(['artifacts', 'verify', first.digest])).code, 0, 'the re-signed record verifies');

    const second = await build(repo);
    assert.equal(second.existed, false, 'an artifact built on Node 18 is not reused on this Node');
    const logs = await repo.cli(['logs', second.runId ?? '', '--step', 'build']);
    assert.match(logs.stdout, new RegExp(`not reusing artifact ${first.digest}: it was built on Node v18\\.19\\.0 \\(${process.platform}/${process.arch}\\) and this build runs Node ${process.version.replace(/\./g, '\\.')}`));
    // The rebuild gave the same bytes; its provenance now names this runtime, so the next is reused.
    assert.equal(second.digest, first.digest);
    assert.deepEqual((await inspect(repo, second.digest)).provenance.statement.predicate.buildDefinition.internalParameters.runtime, internal.runtime);
    assert.equal((await build(repo)).existed, true);
  });
});

/** A registry on 127.0.0.1 serving one tiny package, counting the tarball downloads. */
const tinyRegistry = async (): Promise<{ server: Server; url: string; tarball: Buffer; downloads: () => number; dir: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-registry-'));
  mkdirSync(join(dir, 'package'));
  writeFileSync(join(dir, 'package', 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(dir, 'package', 'index.js'), "module.exports = 'tiny';\n");
  const tar = spawnSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-czf', join(dir, 'tiny.tgz'), '-C', dir, 'package']);
  assert.equal(tar.status, 0, String(tar.stderr));
  const tarball = readFileSync(join(dir, 'tiny.tgz'));
  let downloads = 0;
  const server = createServer((req, res) => {
    if (req.url === '/tiny-dep/-/tiny-dep-1.0.0.tgz') {
      downloads++;
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, tarball, downloads: () => downloads, dir };
};

void describe('the npm cache is kept between runs', () => {
  test('the second npm ci of the same lockfile takes the tarball from the cache in the sandbox area', async (t) => {
    const reg = await tinyRegistry();
    t.after(() => {
      reg.server.close();
      rmSync(reg.dir, { recursive: true, force: true });
    });
    const integrity = `sha512-${createHash('sha512').update(reg.tarball).digest('base64')}`;
    const resolved = `${reg.url}/tiny-dep/-/tiny-dep-1.0.0.tgz`;
    const repo = track(new TempRepo().write({
      'slipway.yaml': 'app: cached\nbuild:\n  run: npm ci && node -e "require(\'tiny-dep\')"\n  artifact: [package.json, node_modules/]\n',
      '.npmrc': `registry=${reg.url}/\naudit=false\nfund=false\nupdate-notifier=false\n`,
      'package.json': JSON.stringify({ name: 'cached', version: '1.0.0', private: true, dependencies: { 'tiny-dep': '1.0.0' } }, null, 2),
      'package-lock.json': JSON.stringify({
        name: 'cached', version: '1.0.0', lockfileVersion: 3, requires: true,
        packages: { '': { name: 'cached', version: '1.0.0', dependencies: { 'tiny-dep': '1.0.0' } }, 'node_modules/tiny-dep': { version: '1.0.0', resolved, integrity } },
      }, null, 2),
    }));
    repo.commit('one');
    // The control plane's own default cache, not one inherited from an npm script around the test.
    const env = { npm_config_cache: undefined, npm_config_prefer_offline: undefined } as unknown as Record<string, string>;
    const one = await repo.cli(['run'], { env });
    assert.equal(one.code, 0, `${one.stdout}\n${one.stderr}`);
    assert.equal(reg.downloads(), 1);
    const cache = join(sandboxDirOf(join(repo.dir, '.slipway')), 'cache', 'npm');
    assert.ok(readdirSync(cache).includes('_cacache'), `npm's cache has content: ${readdirSync(cache).join(' ')}`);

    // package.json changes (so the dependency cache, keyed by it, has no entry), the lockfile does not.
    repo.write({ 'package.json': JSON.stringify({ name: 'cached', version: '1.0.0', private: true, description: 'two', dependencies: { 'tiny-dep': '1.0.0' } }, null, 2) }).commit('two');
    const two = await repo.cli(['run'], { env });
    assert.equal(two.code, 0, `${two.stdout}\n${two.stderr}`);
    assert.match(two.stdout, /added 1 package/);
    assert.equal(reg.downloads(), 1, 'the second install took the tarball from the cache');
  });
});
