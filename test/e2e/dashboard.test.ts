// The dashboard in a real browser (issue 12.7): Debian's chromium driven by playwright-core against
// a real control plane with real deployments. Given an app whose verification probes /work (a
// config value BROKEN=1 makes /work fail, never the health check), a staging environment and a
// production one that needs an approval, tokens for two deployers (alice, bob) and a reader, and a
// secret: a token logs in (a wrong one is refused); a deployment appears and progresses without a
// reload; a failed verification shows its chart, its first bad sample and its rollback; bob
// approves alice's held deployment and watches it succeed; the reader sees no action button; the
// page follows again after the control plane restarted; and no secret value or token is on any
// page. Screenshots of the main pages go to test-output/screenshots/ (docs/dashboard.md).
//
// Chromium is not optional here: a machine without it fails this file, naming why (.ci/run
// installs it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TempRepo, git, type CliResult } from './harness.js';
import { SCREENSHOTS, launchChromium, type InPage } from './browser-helpers.js';
import { history } from './deploy-harness.js';
import { apiBase } from './verification-helpers.js';
import { waitFor } from '../../src/test-support/wait.js';


const SERVER_JS = `
const http = require('node:http');
const fs = require('node:fs');
const version = fs.readFileSync(__dirname + '/version.txt', 'utf8').trim();
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // BROKEN=1 (a config value) fails the verification's probes of /work, never the health check.
    if (req.url === '/work' && process.env.BROKEN === '1') { res.writeHead(500); res.end('broken'); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ release: process.env.SLIPWAY_RELEASE, version }));
  });
});
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { s.close(() => process.exit(0)); s.closeIdleConnections(); });
`;

const YAML = [
  'app: dash',
  'build:',
  '  run: mkdir -p dist && cp server.cjs version.txt dist/',
  '  artifact: [dist/]',
  'run:',
  '  command: node dist/server.cjs',
  '  stop_grace: 1s',
  'environments:',
  '  staging:',
  '    verify: { window: 1s, interval: 100ms, min_samples: 5, checks: [error_rate < 1%], probe: { path: /work } }',
  '  production:',
  '    approval: required',
  '    verify: { window: 1s, interval: 100ms, min_samples: 5, checks: [error_rate < 1%], probe: { path: /work } }',
  '',
].join('\n');

/** Everything the browser was shown, for the secret check at the end. */
const shown: { name: string; html: string; text: string }[] = [];
/** Errors of the pages: uncaught exceptions and Content-Security-Policy refusals. */
const pageErrors: string[] = [];

describe('dashboard in a browser', () => {
  let repo: TempRepo;
  let base = '';
  let browser: Browser | undefined;
  const tokens: Record<string, string> = {};
  const digests: { one?: string; two?: string } = {};
  const secret = `dash-secret-${randomBytes(12).toString('hex')}`;
  const contexts: BrowserContext[] = [];
  const rawStatus = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: Number(new URL(base).port), path, timeout: 20_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer`)));
      req.on('error', reject);
    });

  const ok = async (args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> => {
    const r = await repo.cli(args, opts);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const build = async (version: string): Promise<string> => {
    repo.write({ 'version.txt': `${version}\n` });
    repo.commit(`version ${version}`);
    const r = await ok(['run', '--json']);
    const digest = (JSON.parse(r.stdout) as { run: { digest?: string } }).run.digest;
    assert.ok(digest, `a digest in ${r.stdout}`);
    return digest;
  };

  /** A new tab, in a browser context of its own (its own session storage), logged in with `token`. */
  const loggedIn = async (token: string, hash = '#/a/-'): Promise<Page> => {
    const page = await open();
    await page.goto(`${base}/`);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#who');
    await goTo(page, hash);
    return page;
  };
  const open = async (): Promise<Page> => {
    assert.ok(browser, 'the browser started');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
    });
    return page;
  };
  /** Follows a link of the page (a #fragment: no reload) and waits for the page to have loaded its figures. */
  const goTo = async (page: Page, hash: string): Promise<void> => {
    await page.evaluate((h) => void ((globalThis as unknown as InPage).location.hash = h), hash);
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as InPage).document;
      return d.querySelector('main .loading') === null && d.querySelector('main h2') !== null;
    });
  };
  /** Keeps what the page shows (for the secret check) and writes its screenshot. */
  const snap = async (page: Page, name: string): Promise<void> => {
    shown.push({ name, html: await page.content(), text: await page.innerText('body') });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  /** Waits until `expression` (run in the page) is true. */
  // (Functions, not strings: the page's Content-Security-Policy refuses eval, as it should.)
  /** Waits until the text of `selector` (trimmed) is `text`. */
  const textIs = async (page: Page, selector: string, text: string, timeout = 30_000): Promise<void> => {
    await page.waitForFunction(([sel, want]) => (globalThis as unknown as InPage).document.querySelector(sel)?.textContent?.trim() === want, [selector, text] as const, { timeout });
  };
  /** Marks the document, so that a test can tell it was never reloaded (only a #fragment changed). */
  const mark = (page: Page): Promise<void> => page.evaluate(() => void ((globalThis as unknown as InPage).slipwayMark = 1));
  const stillMarked = (page: Page): Promise<boolean> => page.evaluate(() => (globalThis as unknown as InPage).slipwayMark === 1);
  /** The text of the page's buttons, Log out aside. */
  const actionButtons = async (page: Page): Promise<string[]> => (await page.locator('main button').allInnerTexts()).map((t) => t.trim());

  before(async () => {
    // The browser first: without it there is nothing to test, and the failure must say why.
    browser = await launchChromium();
    repo = new TempRepo('slipway-dashboard-');
    repo.write({ 'slipway.yaml': YAML, 'server.cjs': SERVER_JS });
    digests.one = await build('one');
    digests.two = await build('two');
    for (const [name, role] of [['alice', 'deploy'], ['bob', 'deploy'], ['reader', 'read']] as const) {
      tokens[name] = (await ok(['tokens', 'create', '--name', name, '--role', role])).stdout.trim();
      assert.match(tokens[name] ?? '', /^slw_/);
    }
    await ok(['secrets', 'set', 'staging', 'API_TOKEN', '--no-deploy'], { input: secret });
    await ok(['deploy', 'staging', '--digest', digests.one]);
    base = apiBase(repo);
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await repo?.dispose();
  });

  test('the page and its files need no token; the API routes it adds refuse bad input', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/assets\/app\/main\.js">/);
    // Sent as written (fetch would resolve the dots): a path is looked up among the built files, never joined onto the disk.
    for (const path of ['/assets/../server.json', '/assets/../../.slipway/token', '/assets/%2e%2e/server.json', '/assets/nothing.js']) assert.equal(await rawStatus(path), 404, path);
    const asReader = (path: string): Promise<Response> => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.reader ?? ''}` } });
    assert.equal((await fetch(`${base}/v1/whoami`)).status, 401, 'the API still needs a token');
    assert.deepEqual(await (await asReader('/v1/whoami')).json(), { name: 'reader', role: 'read', app: null, mode: 'local' });
    for (const [path, status, message] of [
      ['/v1/dora?every=month', 400, /every must be day or week, not "month"/],
      ['/v1/dora?every=day&since=60w', 400, /more than 400 buckets/],
      ['/v1/deployments/d999/verification', 404, /no deployment "d999"/],
      ['/v1/deployments/x%3Brm/verification', 404, /no deployment "x;rm"/],
    ] as const) {
      const r = await asReader(path);
      assert.equal(r.status, status, path);
      assert.match(((await r.json()) as { error: { message: string } }).error.message, message);
    }
    const dora = (await (await asReader('/v1/dora?since=2w&every=week')).json()) as { environments: { env: string; series: unknown[] }[] };
    assert.deepEqual(dora.environments.map((e) => [e.env, e.series.length]), [['staging', 2]]);
  });

  test('log in with a token; a wrong token is refused', async () => {
    const page = await open();
    await page.goto(`${base}/`);
    await page.waitForSelector('#token');
    await snap(page, 'login');
    await page.fill('#token', 'slw_not-a-token');
    await page.click('button[type=submit]');
    await page.waitForSelector('form [role=alert]');
    assert.match(await page.innerText('form [role=alert]'), /That token is refused/);
    // By keyboard: the field is focused, typed into, and Enter logs in.
    await page.fill('#token', '');
    await page.focus('#token');
    await page.keyboard.type(tokens.alice ?? '');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#who');
    assert.equal((await page.innerText('#who')).trim(), 'alice · deploy');
    assert.equal(await page.locator('#token').count(), 0, 'the login form is gone, with its token field');
    await goTo(page, '#/a/-');
    // The first Tab stop is "Skip to content", and following it puts the focus on the page's content.
    await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.blur());
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.id), 'main');
    const staging = page.locator('article.card', { has: page.locator('h3', { hasText: 'staging' }) });
    await staging.waitFor();
    assert.match(await staging.innerText(), /Release\s+v1[\s\S]*1 healthy/);
    assert.deepEqual(await actionButtons(page), ['Roll back staging']);
    await snap(page, 'environments');
    // Log out forgets the token: a reload asks for one again.
    await page.click('header button:has-text("Log out")');
    await page.reload();
    await page.waitForSelector('#token');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.length), 0);
  });

  test('a deployment appears and progresses on the page without a reload', async () => {
    const page = await loggedIn(tokens.alice ?? '', '#/a/-/deployments');
    await mark(page);
    const id = (await ok(['deploy', 'staging', '--digest', digests.two ?? '', '--detach'])).stdout.trim();
    assert.match(id, /^d\d+$/);
    const link = page.locator(`main a:text-is("${id}")`);
    await link.waitFor();
    await link.click();
    await page.waitForSelector('#deployment-phase');
    await textIs(page, '#deployment-phase', 'succeeded', 60_000);
    await page.waitForSelector('figure.verification .chart canvas');
    const phases = await page.locator('ol.phases li').allInnerTexts();
    assert.ok(phases.some((p) => p.includes('→ verifying')) && phases.some((p) => /succeeded/.test(p)), phases.join('\n'));
    assert.ok(await stillMarked(page), 'the page was never reloaded');
    await snap(page, 'deployment-live');
  });

  test('a failed verification: its chart, first bad sample, verdict and rollback', async () => {
    // The config change deploys a new release whose /work fails: verification fails and rolls back.
    await repo.cli(['config', 'set', 'staging', 'BROKEN=1']);
    const failed = (await history(repo, 'staging')).find((h) => h.status === 'rolled_back' || h.status === 'failed');
    assert.ok(failed, `a failed deployment in ${JSON.stringify(await history(repo, 'staging'))}`);
    await ok(['config', 'unset', 'staging', 'BROKEN', '--no-deploy']);
    const page = await loggedIn(tokens.reader ?? '', `#/a/-/d/${failed.id}`);
    await page.waitForSelector('figure.verification .chart canvas');
    assert.match(await page.innerText('#deployment-phase'), /rolled back|failed/);
    const figure = page.locator('figure.verification').first();
    assert.match(await figure.locator('figcaption').innerText(), /fail/);
    assert.match(await figure.locator('li.first-bad').innerText(), /First bad sample at \d{2}:\d{2}:\d{2}\.\d/);
    assert.match(await figure.locator('li.rollback-moment').innerText(), /Rolled back \(traffic restored\) at \d{2}:\d{2}:\d{2}\.\d/);
    assert.match(await figure.locator('ul.markers').innerText(), /Verdict \(failed\) at \d{2}:\d{2}:\d{2}\.\d/);
    assert.match(await figure.locator('table.evidence').innerText(), /error_rate[\s\S]*fail/);
    // The chart's text alternative counts the same requests as the answer of the API.
    const v = (await (await fetch(`${base}/v1/deployments/${failed.id}/verification`, { headers: { authorization: `Bearer ${tokens.reader ?? ''}` } })).json()) as { windows: { series: { requests: number; errors: number }[] }[]; verdictAt: string | null; restoredAt: string | null };
    const w = v.windows[0];
    assert.ok(w && w.series.length > 0 && v.verdictAt !== null && v.restoredAt !== null, JSON.stringify(v));
    const [requests, errors] = [w.series.reduce((n, p) => n + p.requests, 0), w.series.reduce((n, p) => n + p.errors, 0)];
    assert.ok(errors > 0, 'the failing probes are in the series');
    assert.equal(await figure.locator('.chart').getAttribute('aria-label'), `Error rate and p95 latency over the ${await figure.getAttribute('data-window') ?? ''} window: ${requests} requests, ${errors} errors`);
    await snap(page, 'verification-failed');
  });

  test("bob approves alice's held deployment and watches it go out; alice cannot; a reader sees no action", async () => {
    const id = (await ok(['deploy', 'production', '--digest', digests.one ?? '', '--detach'], { env: { SLIPWAY_TOKEN: tokens.alice ?? '' } })).stdout.trim();
    assert.match(id, /^d\d+$/);

    const alice = await loggedIn(tokens.alice ?? '', '#/a/-/approvals');
    const asked = alice.locator(`li[data-deployment="${id}"]`);
    await asked.waitFor();
    assert.match(await asked.innerText(), /You asked for it: someone else decides/);
    assert.deepEqual(await actionButtons(alice), []);

    const reader = await loggedIn(tokens.reader ?? '', '#/a/-/approvals');
    await reader.locator(`li[data-deployment="${id}"]`).waitFor();
    assert.deepEqual(await actionButtons(reader), [], 'no approve or reject for a reader');
    await snap(reader, 'read-only');
    for (const hash of ['#/a/-', '#/a/-/env/staging', `#/a/-/d/${id}`, '#/a/-/runs']) {
      await goTo(reader, hash);
      assert.deepEqual(await actionButtons(reader), [], `no action button on ${hash} for a reader`);
      assert.equal((await reader.locator('header button').allInnerTexts()).join(), 'Log out');
    }

    const bob = await loggedIn(tokens.bob ?? '', '#/a/-/approvals');
    const waiting = bob.locator(`li[data-deployment="${id}"]`);
    await waiting.waitFor();
    assert.deepEqual(await actionButtons(bob), [`Approve ${id}`, `Reject ${id}`]);
    await snap(bob, 'approvals');
    await goTo(bob, `#/a/-/d/${id}`);
    assert.equal((await bob.innerText('#deployment-phase')).trim(), 'awaiting approval');
    await mark(bob);
    await bob.fill('.decide input', 'looks good');
    await bob.click(`button:text-is("Approve ${id}")`);
    await textIs(bob, '#deployment-phase', 'succeeded', 60_000);
    const phases = (await bob.locator('ol.phases li').allInnerTexts()).join('\n');
    assert.match(phases, /decided[\s\S]*decision: approve[\s\S]*comment: looks good/);
    assert.ok(await stillMarked(bob), 'the page followed the deployment without a reload');
    const prod = (await history(repo, 'production'))[0];
    assert.deepEqual([prod?.id, prod?.status], [id, 'succeeded']);
  });

  test('after the control plane restarts, the page follows again and shows what changed meanwhile', async () => {
    const page = await loggedIn(tokens.bob ?? '', '#/a/-/env/staging');
    await textIs(page, '#live', 'live');
    await mark(page);
    const before = (await history(repo, 'staging'))[0];
    await ok(['server', 'stop']);
    await textIs(page, '#live', 'not live');
    // Any command starts it again; this one deploys, so there is something new to show.
    const id = (await ok(['deploy', 'staging', '--digest', digests.one ?? '', '--force', '--detach'])).stdout.trim();
    assert.notEqual(id, before?.id);
    assert.equal(apiBase(repo), base, 'the control plane came back at the same address');
    await textIs(page, '#live', 'live', 60_000);
    await waitFor(async () => (await history(repo, 'staging'))[0]?.status === 'succeeded', { what: `${id} to succeed`, timeout: 60_000, interval: 250 });
    const row = page.locator('main table tbody tr', { has: page.locator(`a:text-is("${id}")`) });
    await waitFor(async () => /succeeded/.test(await row.innerText().catch(() => '')), { what: `the page to show ${id} succeeded`, timeout: 30_000, interval: 100 });
    const card = await page.locator('article.card').innerText();
    const current = (await history(repo, 'staging'))[0];
    assert.match(card, new RegExp(`Last deployment\\s+${id} v${current?.release ?? '?'}\\s+succeeded`));
    assert.ok(await stillMarked(page), 'the page was never reloaded');
    assert.equal(await page.locator('#token').count(), 0, 'still logged in');
    await snap(page, 'after-restart');
  });

  test('the merge queue: a refused change with its report; promote, then withdraw, from the page', async () => {
    // A branch whose build cannot work (its server.cjs is gone): the queue refuses it with the step's output.
    git(repo.dir, 'checkout', '--quiet', '-b', 'broken-build');
    git(repo.dir, 'rm', '--quiet', 'server.cjs');
    git(repo.dir, 'commit', '--quiet', '-m', 'drop the server');
    git(repo.dir, 'checkout', '--quiet', 'main');
    const merged = await repo.cli(['merge', 'broken-build', '--wait', '--json']);
    assert.notEqual(merged.code, 0, 'a refused change is not a success');
    const item = (JSON.parse(merged.stdout) as { item: { id: string; state: string } }).item;
    assert.equal(item.state, 'refused', merged.stdout);

    const reader = await loggedIn(tokens.reader ?? '', '#/a/-/queue');
    const row = reader.locator('main table tbody tr', { has: reader.locator(`a:text-is("${item.id}")`) });
    await row.waitFor();
    assert.match(await row.innerText(), /refused[\s\S]*broken-build[\s\S]*drop the server/);
    await snap(reader, 'queue');
    await row.locator(`a:text-is("${item.id}")`).click();
    await reader.waitForSelector('main .report');
    const report = await reader.innerText('main .report');
    assert.match(report, /Run: r\d+, step build/);
    assert.match(report, /server\.cjs/, 'the step output names what failed');
    assert.match(await reader.innerText('main ul'), /^r\d+\s+failed$/m, 'its run failed');
    await snap(reader, 'queue-item');

    // bob promotes staging to production from the environments page: production holds it for an approval.
    const bob = await loggedIn(tokens.bob ?? '', '#/a/-');
    bob.on('dialog', (d) => void d.accept());
    const staging = bob.locator('article.card', { has: bob.locator('h3', { hasText: 'staging' }) });
    await staging.locator('select').selectOption('production');
    const before = (await history(repo, 'production'))[0]?.id;
    await staging.locator('button:text-is("Promote staging")').click();
    const held = await waitFor(async () => {
      const d = (await history(repo, 'production'))[0];
      return d && d.id !== before ? d : undefined;
    }, { what: 'the promotion to be recorded', timeout: 30_000, interval: 200 });
    assert.equal(held.status, 'awaiting_approval', JSON.stringify(held));
    await goTo(bob, `#/a/-/d/${held.id}`);
    assert.equal((await bob.innerText('#deployment-phase')).trim(), 'awaiting approval');
    // The requester withdraws it (a confirmation first): canceled, and production keeps its release.
    await bob.click(`button:text-is("Withdraw ${held.id}")`);
    await textIs(bob, '#deployment-phase', 'canceled');
    const after = (await history(repo, 'production')).find((d) => d.id === held.id);
    assert.equal(after?.status, 'canceled');
  });

  test('runs, the audit trail and DORA; no secret value or token on any page the browser was shown', async () => {
    const page = await loggedIn(tokens.reader ?? '', '#/a/-/runs');
    const runId = (await page.locator('main tbody th a').first().innerText()).trim();
    assert.match(runId, /^r\d+$/);
    await goTo(page, `#/a/-/run/${runId}`);
    await page.waitForFunction(() => ((globalThis as unknown as InPage).document.querySelector('pre.log')?.textContent ?? '').length > 0);
    await snap(page, 'run');
    await goTo(page, '#/a/-/audit');
    await page.waitForSelector('table.audit tbody tr');
    assert.match(await page.innerText('main'), /hash chain: intact/);
    assert.match(await page.innerText('table.audit'), /API_TOKEN/);
    await snap(page, 'audit');
    await goTo(page, '#/a/-/dora');
    await page.waitForSelector('article.dora .chart canvas');
    await snap(page, 'dora');
    await goTo(page, '#/a/-/deployments');
    await snap(page, 'deployments');

    assert.ok(shown.length >= 10, `pages kept: ${shown.map((s) => s.name).join(', ')}`);
    for (const s of shown) {
      for (const [what, value] of [['the secret', secret], ...Object.entries(tokens).map(([n, t]) => [`${n}'s token`, t] as const)] as const) {
        assert.ok(!s.html.includes(value) && !s.text.includes(value), `${what} is on the ${s.name} page`);
      }
    }
    assert.deepEqual(pageErrors, [], 'no page error and no Content-Security-Policy refusal');
  });
});
