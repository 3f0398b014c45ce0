// Small pieces every page uses: the htm tag bound to preact, loading with live refresh, times,
// digests, status badges, and the session (who is logged in, with which role, against which app).
import { h, type ComponentChildren, type VNode } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { ApiError, follow, get, type StreamEvent } from './api.js';

export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;

export type Role = 'read' | 'deploy' | 'admin';

export interface Session {
  name: string;
  role: Role;
  /** The app a token is scoped to (server mode), else null. */
  scope: string | null;
  mode: 'local' | 'server';
}

/** May this session act (deploy, promote, roll back, approve, cancel)? The server checks again. */
export const canAct = (s: Session): boolean => s.role === 'deploy' || s.role === 'admin';

/** The API prefix of an app: `/v1` for a local control plane (its one app is `-`), `/v1/apps/<app>` on a server. */
export const apiOf = (app: string): string => (app === '-' ? '/v1' : `/v1/apps/${encodeURIComponent(app)}`);

/** The page address of a path inside an app. */
export const linkOf = (app: string, ...parts: string[]): string => `#/a/${encodeURIComponent(app)}${parts.map((p) => `/${encodeURIComponent(p)}`).join('')}`;

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Loads `fn` when `key` changes, and again when `reload` is called (answers arriving out of order are dropped). */
export const useLoad = <T>(fn: () => Promise<T>, key: string): Loaded<T> => {
  const [state, setState] = useState<{ data?: T; error?: string; key: string }>({ key });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    fn().then(
      (data) => mine === seq.current && setState({ data, key }),
      (e: unknown) => mine === seq.current && setState((s) => ({ ...s, key, error: e instanceof Error ? e.message : String(e) })),
    );
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.key === key ? state.data : undefined, error: state.key === key ? state.error : undefined, reload };
};

/** The newest sequence number of the event log (its pages are read oldest first). */
const latestSeq = async (api: string): Promise<number> => {
  let after = 0;
  for (;;) {
    const { events } = await get<{ events: { seq: number }[] }>(`${api}/events?after=${after}&limit=10000`);
    const last = events[events.length - 1];
    if (last === undefined) return after;
    after = last.seq;
    if (events.length < 10000) return after;
  }
};

/** Live: says whether the page is following the server, shown in the header. */
export const LiveContext = { set: (_live: boolean): void => undefined };

/**
 * Calls `onChange` (at most every 300 ms) whenever the event log of `api` grows, following
 * `path` (the app's event stream by default) from now on; after a reconnection (a server restart)
 * it calls it too, since anything may have changed meanwhile.
 */
export const useLive = (api: string, onChange: (e?: StreamEvent) => void, path?: string): void => {
  const cb = useRef(onChange);
  cb.current = onChange;
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let connections = 0;
    const soon = (): void => {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        cb.current();
      }, 300);
    };
    void (async () => {
      const after = path === undefined ? await latestSeq(api) : undefined;
      await follow(path ?? `${api}/events/stream`, {
        signal: ac.signal,
        ...(after === undefined ? {} : { after }),
        onEvent: (e) => {
          cb.current(e);
          soon();
        },
        onState: (live) => {
          LiveContext.set(live);
          if (live && ++connections > 1) soon();
        },
      });
    })().catch(() => LiveContext.set(false));
    return () => {
      ac.abort();
      if (timer !== undefined) clearTimeout(timer);
      LiveContext.set(false);
    };
  }, [api, path]);
};

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
/** A time of day to a tenth of a second (naming only the fraction would show nothing else). */
export const clock = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, fractionalSecondDigits: 1 } as Intl.DateTimeFormatOptions) : '—');

export const span = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
};

export const duration = (from: string | null | undefined, to: string | null | undefined): string => (from && to ? span(Date.parse(to) - Date.parse(from)) : '—');

/** A digest shortened for reading, whole in its title (and copyable). */
export const Digest = ({ value }: { value: string | null | undefined }): VNode =>
  value ? html`<code class="digest" title=${value}>${value.replace(/^sha256:/, '').slice(0, 12)}</code>` : html`<span>—</span>`;

const TONE: Record<string, string> = {
  succeeded: 'good',
  passed: 'good',
  healthy: 'good',
  merged: 'good',
  pass: 'good',
  verified: 'good',
  failed: 'bad',
  rolled_back: 'bad',
  rejected: 'bad',
  fail: 'bad',
  error: 'bad',
  canceled: 'muted',
  skipped: 'muted',
  awaiting_approval: 'wait',
  held: 'wait',
  pending: 'busy',
  queued: 'busy',
  running: 'busy',
  starting: 'busy',
  verifying: 'busy',
  rolling_back: 'busy',
  testing: 'busy',
};

export const Badge = ({ status }: { status: string | null | undefined }): VNode => html`<span class=${`badge ${TONE[status ?? ''] ?? 'muted'}`}>${(status ?? 'unknown').replace(/_/g, ' ')}</span>`;

export const Problem = ({ error }: { error: string | undefined }): VNode | null => (error ? html`<p class="problem" role="alert">${error}</p>` : null);

/** Shown until the figures arrive; nothing once loading them failed (the Problem beside it says why). */
export const Loading = ({ failed }: { failed?: string | undefined }): VNode | null => (failed ? null : html`<p class="loading" aria-busy="true">Loading…</p>`);

export const Section = ({ title, children, id }: { title: string; children: ComponentChildren; id?: string }): VNode => html`<section aria-labelledby=${id ?? title}><h2 id=${id ?? title}>${title}</h2>${children}</section>`;

/** A button that runs an action, shows it is busy, and reports its outcome next to it. */
export const ActionButton = ({ label, run, confirm: ask, kind }: { label: string; run: () => Promise<unknown>; confirm?: string; kind?: 'danger' | 'primary' }): VNode => {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>();
  const click = (): void => {
    if (ask !== undefined && !window.confirm(ask)) return;
    setBusy(true);
    setOutcome(undefined);
    run().then(
      () => setOutcome({ ok: true, text: 'done' }),
      (e: unknown) => setOutcome({ ok: false, text: e instanceof ApiError ? `${e.status}: ${e.message}` : String(e) }),
    ).finally(() => setBusy(false));
  };
  return html`<span class="action"><button type="button" class=${kind ?? ''} disabled=${busy} onClick=${click}>${busy ? `${label}…` : label}</button>${outcome ? html`<span class=${outcome.ok ? 'ok' : 'problem'} role="status">${outcome.text}</span>` : null}</span>`;
};
