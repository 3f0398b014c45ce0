import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './load.js';

const BUILD = '  image: true\n  registry: 127.0.0.1:5000/team/shop\n';
const config = (env: string, build = BUILD) => `app: shop\nbuild:\n  artifact: [dist/]\n${build}run:\n  command: node x\nenvironments:\n  production:\n${env}`;
const messages = (text: string): string[] => loadConfig('slipway.yaml', text).errors.map((e) => `${e.path}: ${e.message}${e.expected ? ` [${e.expected}]` : ''}${e.hint ? ` (${e.hint})` : ''}`);
const host = (name: string, n = name) => `      - { name: ${name}, docker: "unix:///run/slipway/${n}/docker.sock", proxy: "unix:///run/slipway/${n}/proxy.sock" }\n`;
const ok = `    runtime: docker\n    port: 8080\n    hosts:\n${host('web-1')}${host('web-2')}`;

test('hosts: in order, each with its engine and proxy socket paths; on_host_down kept, absent by default', () => {
  const r = loadConfig('slipway.yaml', config(`${ok}    on_host_down: skip\n`));
  assert.deepEqual(r.errors, []);
  const env = r.config?.environments[0];
  assert.deepEqual(env?.hosts, [
    { name: 'web-1', docker: '/run/slipway/web-1/docker.sock', proxy: '/run/slipway/web-1/proxy.sock' },
    { name: 'web-2', docker: '/run/slipway/web-2/docker.sock', proxy: '/run/slipway/web-2/proxy.sock' },
  ]);
  assert.equal(env?.onHostDown, 'skip');
  const plain = loadConfig('slipway.yaml', config(ok));
  assert.deepEqual(plain.errors, []);
  assert.equal(plain.config?.environments[0]?.onHostDown, undefined);
  assert.equal(loadConfig('slipway.yaml', config('    runtime: docker\n')).config?.environments[0]?.hosts, undefined);
});

test('bad forms of hosts and on_host_down are refused, naming the path', () => {
  const cases: [string, RegExp, string?][] = [
    [`    runtime: docker\n    port: 8080\n    hosts: []\n`, /^environments\.production\.hosts: must not be empty/],
    [`${ok}${host('web-1', 'other')}`, /^environments\.production\.hosts\[2\]\.name: host web-1 is listed twice in hosts \(also at hosts\[0\]\)/],
    [`${ok}${host('web-3', 'web-1')}`, /^environments\.production\.hosts\[2\]\.docker: the docker socket \/run\/slipway\/web-1\/docker\.sock is listed twice/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "ssh://deploy@web-1", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.docker: the Docker Engine over ssh:\/\/ is not supported.*forward the host's socket over SSH/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "tcp://127.0.0.1:2376", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.docker: the Docker Engine over tcp:\/\/ is not supported/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "unix://run/docker.sock", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.docker: "unix:\/\/run\/docker\.sock" does not name an absolute socket path/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "/run/docker.sock", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.docker: "\/run\/docker\.sock" is not a unix:\/\/ socket URL/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "unix:///${'x'.repeat(120)}", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.docker: the socket path is longer than the 107 bytes/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: Web_1, docker: "unix:///d.sock", proxy: "unix:///p.sock" }\n`, /^environments\.production\.hosts\[0\]\.name: .*a host name/],
    [`    runtime: docker\n    port: 8080\n    hosts:\n      - { name: a, docker: "unix:///d.sock", proxy: "unix:///p.sock", user: root }\n`, /^environments\.production\.hosts\[0\]: .*user/],
    [`    runtime: docker\n    port: 8080\n    hosts: unix:///d.sock\n`, /^environments\.production\.hosts: /],
    [`    port: 8080\n    hosts:\n${host('web-1')}`, /^environments\.production\.hosts: hosts: needs runtime: docker/],
    [`    runtime: docker\n    hosts:\n${host('web-1')}`, /^environments\.production\.hosts: hosts: needs a port/],
    [`${ok}    on_host_down: retry\n`, /^environments\.production\.on_host_down: /],
    [`    runtime: docker\n    on_host_down: skip\n`, /^environments\.production\.on_host_down: on_host_down does nothing without hosts/],
  ];
  const missed = cases.flatMap(([env, why]) => {
    const m = messages(config(env));
    return m.some((x) => why.test(x)) ? [] : [`${why}:\n${m.join('\n')}`];
  });
  assert.deepEqual(missed, []);
});
