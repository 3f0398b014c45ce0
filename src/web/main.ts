// The dashboard's entry: the login form, the page frame (navigation, who is logged in, the live
// badge) and the router over the address's #fragment (so the server serves one page, `/`).
import { render, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, clearToken, getToken, setToken, whenUnauthorized } from './api.js';
import { ApprovalsPage, AppsPage, AuditPage, DeploymentPage, DeploymentsPage, DoraPage, EnvironmentPage, EnvironmentsPage, QueueItemPage, QueuePage, RunPage, RunsPage } from './pages.js';
import { LiveContext, html, linkOf, type Session } from './ui.js';

interface WhoAmI {
  name: string | null;
  role: Session['role'] | null;
  app: string | null;
  mode: Session['mode'];
}

const whoami = async (token?: string): Promise<Session> => {
  const w = await call<WhoAmI>('GET', '/v1/whoami', undefined, token);
  return { name: w.name ?? 'unknown', role: w.role ?? 'read', scope: w.app, mode: w.mode };
};

const Login = ({ onLogin, notice }: { onLogin: (s: Session) => void; notice: string | undefined }): VNode => {
  const [error, setError] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const submit = (e: Event): void => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const input = form.elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    if (token === '') {
      setError('Paste a token: `slipway tokens create --name NAME --role read|deploy|admin` prints one.');
      return;
    }
    setBusy(true);
    whoami(token).then(
      (s) => {
        setToken(token);
        input.value = '';
        onLogin(s);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError && err.status === 401 ? `That token is refused: ${err.message}` : `Could not reach the control plane: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  };
  return html`<main id="main" class="login">
    <h1>Slipway</h1>
    <form onSubmit=${submit} aria-describedby="login-help">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck=${false} required autofocus />
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Logging in…' : 'Log in'}</button>
      <p id="login-help" class="muted">A token from <code>slipway tokens create --name NAME --role read</code>. It stays in this tab only (session storage) and is sent in the Authorization header, never in an address.</p>
      ${error ? html`<p class="problem" role="alert">${error}</p>` : null}
    </form>
  </main>`;
};

/** The route of the current #fragment: `#/a/<app>/<page>/<id>` (parts percent-encoded). */
const parseRoute = (hash: string): string[] =>
  hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });

const useHash = (): string => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
};

const APP_PAGES: [string, string][] = [
  ['', 'Environments'],
  ['deployments', 'Deployments'],
  ['runs', 'Runs'],
  ['queue', 'Merge queue'],
  ['approvals', 'Approvals'],
  ['audit', 'Audit trail'],
  ['dora', 'DORA'],
];

const Live = (): VNode => {
  const [live, setLive] = useState(false);
  useEffect(() => {
    LiveContext.set = setLive;
    return () => {
      LiveContext.set = () => undefined;
    };
  }, []);
  return html`<span class=${`badge ${live ? 'good' : 'muted'}`} id="live" role="status" title="Whether this page follows the server's events">${live ? 'live' : 'not live'}</span>`;
};

const Frame = ({ session, onLogout }: { session: Session; onLogout: () => void }): VNode => {
  const route = parseRoute(useHash());
  const app = route[0] === 'a' ? route[1] : undefined;
  const page = app === undefined ? '' : (route[2] ?? '');
  const id = route[3];
  let body: VNode;
  if (app === undefined) body = html`<${AppsPage} session=${session} />`;
  else if (page === 'env' && id) body = html`<${EnvironmentPage} key=${id} app=${app} env=${id} session=${session} />`;
  else if (page === 'd' && id) body = html`<${DeploymentPage} key=${id} app=${app} id=${id} session=${session} />`;
  else if (page === 'deployments') body = html`<${DeploymentsPage} app=${app} />`;
  else if (page === 'runs') body = html`<${RunsPage} app=${app} />`;
  else if (page === 'run' && id) body = html`<${RunPage} key=${id} app=${app} id=${id} session=${session} />`;
  else if (page === 'queue' && id) body = html`<${QueueItemPage} key=${id} app=${app} id=${id} />`;
  else if (page === 'queue') body = html`<${QueuePage} app=${app} />`;
  else if (page === 'approvals') body = html`<${ApprovalsPage} app=${app} session=${session} />`;
  else if (page === 'audit') body = html`<${AuditPage} app=${app} />`;
  else if (page === 'dora') body = html`<${DoraPage} app=${app} />`;
  else body = html`<${EnvironmentsPage} key=${app} app=${app} session=${session} />`;
  const current = page === 'env' || page === 'd' ? '' : page === 'run' ? 'runs' : page;
  useEffect(() => {
    document.title = `Slipway · ${app === undefined ? 'apps' : `${app === '-' ? 'app' : app} · ${APP_PAGES.find(([p]) => p === current)?.[1] ?? ''}`}`;
  }, [app, current]);
  return html`
    <a class="skip" href="#main" onClick=${(e: Event) => {
      e.preventDefault();
      document.getElementById('main')?.focus();
    }}>Skip to content</a>
    <header>
      <a class="brand" href="#/">Slipway</a>
      ${app !== undefined ? html`<span class="app-name">${app === '-' ? 'this app' : app}</span>` : null}
      <span class="spacer"></span>
      <${Live} />
      <span class="who" id="who">${session.name} · <span id="role">${session.role}</span></span>
      <button type="button" onClick=${onLogout}>Log out</button>
    </header>
    ${app !== undefined ? html`<nav aria-label="App"><ul>${APP_PAGES.map(([p, label]) => html`<li><a href=${p === '' ? linkOf(app) : linkOf(app, p)} aria-current=${p === current ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>` : null}
    <main id="main" tabindex="-1">${body}</main>`;
};

const App = (): VNode => {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    whenUnauthorized((message) => {
      clearToken();
      setNotice(`Logged out: ${message}`);
      setSession(null);
    });
    if (getToken() === null) {
      setSession(null);
      return;
    }
    whoami().then(setSession, (e: unknown) => {
      setNotice(e instanceof Error ? e.message : String(e));
      setSession(null);
    });
  }, []);
  if (session === undefined) return html`<p class="loading">Loading…</p>`;
  if (session === null) return html`<${Login} notice=${notice} onLogin=${(s: Session) => {
    setNotice(undefined);
    setSession(s);
    // A token scoped to one app (or a local control plane) goes straight to that app.
    if (location.hash === '' || location.hash === '#/') location.hash = s.mode === 'local' ? '#/a/-' : s.scope ? `#/a/${encodeURIComponent(s.scope)}` : '#/';
  }} />`;
  return html`<${Frame} session=${session} onLogout=${() => {
    clearToken();
    setNotice(undefined);
    setSession(null);
  }} />`;
};

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
