// The Alertmanager receiver's logic: a real-shaped payload parses; every malformed field is named;
// authentication by bearer token or HMAC, constant-time, with clear refusals; alerts matched to
// environments and their protection windows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticateAlert, parseAlertPayload, ReplayCache, routeAlerts, signAlert, signBody, SIGNED_WINDOW_S, MAX_ALERT_PAYLOAD_BYTES, type AlertAuthConfig, type AlertmanagerPayload } from './index.js';
import type { AlertsSpec } from '../../config/types.js';

const DEPLOYED = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (offsetMs: number) => new Date(DEPLOYED + offsetMs).toISOString();

/** What Alertmanager 0.25 posts (fields and shapes as documented for version 4). */
function payload(over: Record<string, unknown> = {}, alertOver: Record<string, unknown> = {}) {
  return {
    receiver: 'slipway',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighErrorRate', env: 'production', severity: 'critical' },
        annotations: { summary: 'error rate above 5 %' },
        startsAt: iso(60_000),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=x',
        fingerprint: 'c7b1f0a1d2e3f4a5',
        ...alertOver,
      },
    ],
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', env: 'production' },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    ...over,
  };
}

const parse = (value: unknown) => parseAlertPayload(JSON.stringify(value));
const parsed = (value: unknown): AlertmanagerPayload => {
  const r = parse(value);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
};

describe('parseAlertPayload', () => {
  test('a version-4 payload parses, from a string or bytes', () => {
    assert.equal(parsed(payload()).alerts[0]?.labels.alertname, 'HighErrorRate');
    const r = parseAlertPayload(Buffer.from(JSON.stringify(payload())));
    assert.equal(r.ok, true);
  });

  test('a payload captured from a real Alertmanager (0.25, Debian) parses, nanosecond times included', () => {
    const real =
      '{"receiver":"slipway","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","env":"production"},' +
      '"annotations":{"summary":"x"},"startsAt":"2026-11-27T05:32:18.844677232Z","endsAt":"0001-01-01T00:00:00Z",' +
      '"generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"a3282c435ba994b6"}],"groupLabels":{},' +
      '"commonLabels":{"alertname":"HighErrorRate","env":"production"},"commonAnnotations":{"summary":"x"},' +
      '"externalURL":"http://vm:19393","version":"4","groupKey":"{}:{}","truncatedAlerts":0}';
    const r = parseAlertPayload(real);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(Date.parse(r.value.alerts[0]?.startsAt ?? ''), Date.UTC(2026, 10, 27, 5, 32, 18, 844));
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['not JSON', '{"version": "4",', '(body)', /^not JSON: /],
    ['a list instead of an object', [], '(body)', /expected a JSON object/],
    ['another version', payload({ version: '3' }), 'version', /expected "4"/],
    ['a missing key', (() => { const p: Record<string, unknown> = payload(); delete p.groupKey; return p; })(), 'groupKey', /^missing/],
    ['a bad status', payload({ status: 'burning' }), 'status', /"firing" or "resolved"/],
    ['alerts not a list', payload({ alerts: {} }), 'alerts', /list of alerts/],
    ['an alert that is not a map', payload({ alerts: ['x'] }), 'alerts[0]', /expected an alert/],
    ['a label that is not a string', payload({}, { labels: { alertname: 'X', severity: 3 } }), 'alerts[0].labels.severity', /expected a string/],
    ['a bad time', payload({}, { startsAt: 'yesterday' }), 'alerts[0].startsAt', /RFC 3339/],
    ['a negative truncatedAlerts', payload({ truncatedAlerts: -1 }), 'truncatedAlerts', /≥ 0/],
  ];
  for (const [what, body, field, message] of bad) {
    test(`refuses ${what}, naming the field`, () => {
      const r = typeof body === 'string' ? parseAlertPayload(body) : parse(body);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.reason, 'malformed');
      assert.equal(r.field, field);
      assert.match(r.message, message);
    });
  }

  test('refuses an oversize body before parsing it', () => {
    const r = parseAlertPayload('x'.repeat(MAX_ALERT_PAYLOAD_BYTES + 1));
    assert.equal(r.ok === false && r.reason, 'too_large');
  });
});

describe('authenticateAlert', () => {
  const body = JSON.stringify(payload());
  const config = { tokens: ['t0ken-a', 't0ken-b'], hmacSecrets: ['k3y'] };
  const NOW = Date.parse('2026-12-04T12:00:00Z');
  const T = NOW / 1000;
  const auth = (headers: Record<string, string>, b: string | Buffer = body, c: AlertAuthConfig = config, replay = new ReplayCache(), now = NOW) => authenticateAlert({ headers, body: b }, c, { now, replay });

  test('accepts a configured bearer token, or an HMAC of the timestamp and the raw body', () => {
    assert.deepEqual(auth({ authorization: 'Bearer t0ken-b' }), { ok: true, method: 'bearer' });
    assert.deepEqual(auth(signAlert('k3y', body, T)), { ok: true, method: 'hmac' });
    const sig = signBody('k3y', `${T}.${body}`);
    assert.equal(signAlert('k3y', body, T)['x-slipway-signature'], sig, 'the signature covers "<timestamp>.<body>"');
    const upper = `sha256=${sig.slice('sha256='.length).toUpperCase()}`;
    assert.equal(auth({ 'x-slipway-timestamp': String(T), 'x-slipway-signature': upper }, Buffer.from(body)).ok, true);
  });

  test('refuses a wrong token, a signature of another body, time or key', () => {
    const signed = signAlert('k3y', body, T);
    for (const headers of [
      { authorization: 'Bearer t0ken-c' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      signAlert('k3y', `${body} `, T),
      signAlert('other', body, T),
      { ...signed, 'x-slipway-timestamp': String(T + 1) },
      { 'x-slipway-timestamp': String(T), 'x-slipway-signature': signBody('k3y', body) },
      { 'x-slipway-timestamp': String(T), 'x-slipway-signature': 'sha256=' },
    ]) {
      assert.deepEqual(auth(headers), { ok: false, reason: 'invalid', message: 'the credentials do not match' }, JSON.stringify(headers));
    }
  });

  test('a signed alert is accepted once, and only within the window of the receiver\'s clock', () => {
    const replay = new ReplayCache();
    const signed = signAlert('k3y', body, T);
    assert.equal(auth(signed, body, config, replay).ok, true);
    const again = auth(signed, body, config, replay, NOW + 1000);
    assert.equal(again.ok === false && again.reason, 'replayed', 'the same request a second later');
    const old = auth(signAlert('k3y', body, T - SIGNED_WINDOW_S - 1));
    assert.equal(old.ok === false && old.reason, 'stale', 'a capture replayed after the window');
    const future = auth(signAlert('k3y', body, T + SIGNED_WINDOW_S + 1));
    assert.equal(future.ok === false && future.reason, 'stale');
    assert.equal(auth(signAlert('k3y', body, T - SIGNED_WINDOW_S + 1)).ok, true, 'inside the window');
    const untimed = auth({ 'x-slipway-signature': signBody('k3y', body) });
    assert.equal(untimed.ok === false && untimed.reason, 'missing');
    assert.match(untimed.ok ? '' : untimed.message, /X-Slipway-Timestamp/);
    for (const ts of ['', 'soon', '1e9', '-5', '99999999999999']) {
      const r = auth({ ...signed, 'x-slipway-timestamp': ts });
      assert.equal(r.ok, false, ts);
    }
  });

  test('no credentials says what is expected; no configuration refuses everything', () => {
    const r = auth({});
    assert.equal(r.ok === false && r.reason, 'missing');
    assert.match(r.ok ? '' : r.message, /Authorization: Bearer token or an X-Slipway-Signature header with X-Slipway-Timestamp/);
    assert.equal(auth({ authorization: 'Bearer x' }, body, { tokens: [''] }).ok === false, true);
    const none = auth({ authorization: 'Bearer x' }, body, {});
    assert.equal(none.ok === false && none.reason, 'unconfigured');
  });

  test('a bearer token where only HMAC is configured is not enough', () => {
    const r = auth({ authorization: 'Bearer k3y' }, body, { hmacSecrets: ['k3y'] });
    assert.equal(r.ok === false && r.reason, 'missing');
  });
});

describe('routeAlerts', () => {
  const production: AlertsSpec = { enabled: true, match: [{ label: 'env', kind: 'equal', value: 'production' }], protectMs: 15 * 60_000 };
  const critical: AlertsSpec = { enabled: true, match: [{ label: 'severity', kind: 'regex', pattern: 'critical|page' }], protectMs: 60_000 };

  test('a firing alert that started within the protection window is in the window', () => {
    const r = routeAlerts(parsed(payload()), [{ name: 'production', alerts: production, deployedAt: DEPLOYED }]);
    assert.equal(r.matches.length, 1);
    assert.deepEqual([r.matches[0]?.env, r.matches[0]?.inWindow], ['production', true]);
    assert.match(r.matches[0]?.reason ?? '', /started 60s after the last deploy, within its 15m protection window/);
  });

  test('outside the window (before the deploy, or after protect), resolved, or never deployed: recorded only', () => {
    const cases: Array<[Record<string, unknown>, number | undefined, RegExp]> = [
      [{ startsAt: iso(-5 * 60_000) }, DEPLOYED, /started 5m before the last deploy/],
      [{ startsAt: iso(20 * 60_000) }, DEPLOYED, /past its 15m protection window/],
      [{ status: 'resolved' }, DEPLOYED, /resolved/],
      [{}, undefined, /no deploy to protect/],
    ];
    for (const [alertOver, deployedAt, reason] of cases) {
      const r = routeAlerts(parsed(payload({}, alertOver)), [{ name: 'production', alerts: production, ...(deployedAt === undefined ? {} : { deployedAt }) }]);
      assert.equal(r.matches[0]?.inWindow, false);
      assert.match(r.matches[0]?.reason ?? '', reason);
    }
  });

  test('regex matchers match the whole value; a missing label is the empty string; alerts: false takes nothing', () => {
    const p = parsed(payload({}, { labels: { alertname: 'X', severity: 'critical-ish' } }));
    const r = routeAlerts(p, [
      { name: 'a', alerts: critical, deployedAt: DEPLOYED },
      { name: 'b', alerts: { enabled: true, match: [{ label: 'team', kind: 'equal', value: '' }], protectMs: 1 }, deployedAt: DEPLOYED },
      { name: 'c', alerts: { enabled: false } },
    ]);
    assert.deepEqual(r.matches.map((m) => m.env), ['b'], 'critical-ish is not critical; team is missing, so it equals ""');
    const page = routeAlerts(parsed(payload({}, { labels: { severity: 'page' } })), [{ name: 'a', alerts: critical, deployedAt: DEPLOYED }]);
    assert.deepEqual(page.matches.map((m) => m.env), ['a']);
  });

  test('an alert for no environment is returned as unmatched; one for two environments matches both', () => {
    const p = parsed(payload({}, { labels: { env: 'staging', severity: 'critical' } }));
    const none = routeAlerts(p, [{ name: 'production', alerts: production, deployedAt: DEPLOYED }]);
    assert.equal(none.unmatched.length, 1);
    const both = routeAlerts(p, [
      { name: 'staging', alerts: { ...production, match: [{ label: 'env', kind: 'equal', value: 'staging' }] }, deployedAt: DEPLOYED },
      { name: 'production', alerts: critical, deployedAt: DEPLOYED },
    ]);
    assert.deepEqual(both.matches.map((m) => [m.env, m.inWindow]), [
      ['staging', true],
      ['production', true],
    ]);
  });
});
