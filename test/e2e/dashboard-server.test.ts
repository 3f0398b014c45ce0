// The dashboard of a Slipway server with many apps, in Debian's chromium (issue 12.5/12.7): given a
// server (`slipway server --home DIR --listen 127.0.0.1:0`) with two apps, the admin token sees both
// on the Apps page and opens one; a read token scoped to one app goes straight to it, sees only it
// and is refused the other; no token value is on any page. Deployments themselves are the business
// of dashboard.test.ts (the same pages over /v1/apps/<app>/…).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BIN, E2E_STATE_DIR } from './harness.js';
import { SCREENSHOTS, launchChromium, type InPage } from './browser-helpers.js';
import { sandboxDirOf } from '../../src/home/paths.js';
import { waitFor } from '../../src/test-support/wait.js';

describe('dashboard of a server with many apps', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'slipway-dashboard-server-'));
  const srv = join(scratch, 'srv');
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let base = '';
  const tokens: Record<string, string> = {};
  const contexts: BrowserContext[] = [];
  const shown: { name: string; html: string }[] = [];
  const pageErrors: string[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens.admin ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const loggedIn = async (token: string): Promise<Page> => {
    assert.ok(browser, 'the browser started');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
    });
    await page.goto(`${base}/`);
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    await page.waitForSelector('#who');
    await loaded(page);
    return page;
  };
  const loaded = async (page: Page): Promise<void> => {
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as InPage).document;
      return d.querySelector('main .loading') === null && d.querySelector('main h2') !== null;
    });
  };
  const goTo = async (page: Page, hash: string): Promise<void> => {
    await page.evaluate((h) => void ((globalThis as unknown as InPage).location.hash = h), hash);
    await loaded(page);
  };
  const snap = async (page: Page, name: string): Promise<void> => {
    shown.push({ name, html: `${await page.content()}\n${await page.innerText('body')}` });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const appsListed = async (page: Page): Promise<string[]> => (await page.locator('main tbody th a').allInnerTexts()).map((t) => t.trim());

  before(async () => {
    browser = await launchChromium();
    server = spawn(process.execPath, [BIN, 'server', '--home', srv, '--listen', '127.0.0.1:0'], { env: { ...process.env, SLIPWAY_STATE_DIR: E2E_STATE_DIR }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    const port = await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1], { what: `the server to listen (its log: ${log.slice(-300)})`, timeout: 30_000 });
    base = `http://127.0.0.1:${port}`;
    tokens.admin = readFileSync(join(srv, 'token'), 'utf8').trim();
    for (const name of ['shop', 'blog']) assert.equal((await api('POST', '/v1/apps', { name })).status, 201, name);
    const made = await api('POST', '/v1/tokens', { name: 'shop-reader', role: 'read', app: 'shop' });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    tokens.shopReader = (made.json.token as { value: string }).value;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    if (server && server.exitCode === null) {
      const stopped = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await stopped;
    }
    rmSync(sandboxDirOf(srv), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('the admin token sees every app and opens one', async () => {
    const page = await loggedIn(tokens.admin ?? '');
    assert.match(await page.innerText('#role'), /admin/);
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).location.hash), '#/');
    assert.deepEqual(await appsListed(page), ['blog', 'shop']);
    await snap(page, 'apps');
    await page.click('main a:text-is("shop")');
    await page.waitForSelector('main h2:text-is("Environments")');
    await loaded(page);
    assert.match(await page.innerText('main'), /Nothing deployed yet/);
    assert.equal((await page.innerText('header .app-name')).trim(), 'shop');
  });

  test('a read token scoped to one app goes to it, sees only it, and is refused the other', async () => {
    const page = await loggedIn(tokens.shopReader ?? '');
    assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).location.hash), '#/a/shop');
    assert.equal((await page.innerText('#who')).trim(), 'shop-reader · read');
    await goTo(page, '#/');
    assert.deepEqual(await appsListed(page), ['shop']);
    await goTo(page, '#/a/blog');
    assert.match(await page.innerText('main [role=alert]'), /the token "shop-reader" is scoped to the app "shop", not "blog"/);
    assert.deepEqual(await page.locator('main button').allInnerTexts(), [], 'no action for a reader');
    await snap(page, 'scoped-reader');
    for (const s of shown) for (const [name, value] of Object.entries(tokens)) assert.ok(!s.html.includes(value), `the ${name} token is on the ${s.name} page`);
    assert.deepEqual(pageErrors, [], 'no page error and no Content-Security-Policy refusal');
  });
});
