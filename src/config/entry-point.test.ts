// The file run.command starts, through npm scripts, env prefixes and node's options, and the
// exact sentence when build.artifact does not hold it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { artifactHolds, entryOutsideArtifact, entryPointOf } from './entry-point.js';
import { detectHealthPath } from './init-health.js';

test('entryPointOf reads through npm scripts and shell prefixes', () => {
  const scripts = { start: 'NODE_ENV=production node --enable-source-maps -r dotenv/config ./dist//server.js', serve: 'cross-env PORT=1 nodemon src/app.js', web: 'npm run serve', loop: 'npm run loop' };
  assert.deepEqual(entryPointOf('npm start', scripts), { file: 'dist/server.js', via: 'start' });
  assert.deepEqual(entryPointOf('npm run web', scripts), { file: 'src/app.js', via: 'serve' });
  assert.deepEqual(entryPointOf('node server.js'), { file: 'server.js', via: 'run.command' });
  assert.deepEqual(entryPointOf('npm start', {}), { file: 'server.js', via: 'start' }, "npm's default start");
  assert.deepEqual(entryPointOf('npm run build && node out/main.mjs', { build: 'tsc' }), undefined, 'tsc is not a Node script');
  assert.deepEqual(entryPointOf('node -e "require(1)"'), undefined);
  assert.deepEqual(entryPointOf('next start'), undefined);
  assert.deepEqual(entryPointOf('npm run loop', scripts), undefined, 'a script that runs itself ends');
  assert.deepEqual(entryPointOf('node .'), { file: '.', via: 'run.command' });
});

test('entryOutsideArtifact names the entry point, the artifact and the fix', () => {
  assert.equal(
    entryOutsideArtifact('npm start', { start: 'node src/server.js' }, ['dist/', 'package.json']),
    'start runs src/server.js, which is not in build.artifact [dist/, package.json]: add src/ or change run.command',
  );
  assert.equal(entryOutsideArtifact('node app.js', undefined, ['dist/']), 'run.command runs app.js, which is not in build.artifact [dist/]: add app.js or change run.command');
  assert.equal(entryOutsideArtifact('npm start', { start: 'node dist/server.js' }, ['./dist', 'package.json']), undefined);
  assert.equal(entryOutsideArtifact('node .', undefined, ['dist/']), undefined);
  assert.equal(entryOutsideArtifact('next start', undefined, ['.next/']), undefined, 'what cannot be told is not refused');
  assert.ok(artifactHolds(['.'], 'src/x.js'));
  assert.ok(!artifactHolds(['src'], 'src2/x.js'));
});

test('detectHealthPath finds route registrations, prefers the usual order, ignores other strings', () => {
  const at = (text: string, path = 'src/app.ts') => detectHealthPath([{ path, text }]);
  assert.deepEqual(at("router.get('/ping', h);\napp.get(\"/health\", h);"), { path: '/health', foundIn: 'src/app.ts:2' });
  assert.deepEqual(at("if (req.url === '/healthz') return ok();"), { path: '/healthz', foundIn: 'src/app.ts:1' });
  assert.deepEqual(at("switch (url) {\n  case '/up':"), { path: '/up', foundIn: 'src/app.ts:2' });
  assert.deepEqual(at("fastify.route({ method: 'GET', url: '/ready', handler })"), { path: '/ready', foundIn: 'src/app.ts:1' });
  assert.deepEqual(at("const msg = '/status';"), { path: '/' }, 'a string outside a route registration');
  assert.deepEqual(at("app.get('/healthz')", 'notes.md'), { path: '/' }, 'only source files');
  assert.deepEqual(at("app.get('/api/health')"), { path: '/' }, 'a nested path is not guessed');
});
