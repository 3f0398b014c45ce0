// A listener shared by every environment (`slipway proxy --http/--https`): each request goes to the
// environment whose `domains` claim its Host (exact name first, then the longest wildcard). A host no
// environment claims gets 421 and is routed nowhere, counted apart from every release.

import type http from 'node:http';
import { HostTable, hostOf } from '../core/edge/domain.js';
import { edgeModeOf, type SharedListenerStatus } from '../ports/proxy.js';
import { formatAddress, type ListenAddress } from './edge-settings.js';
import { handleRequest, type EnvRuntime, type ListenerState } from './forward.js';
import type { RequestHandler } from './listener.js';

/** What a shared listener does before routing: answer (true) or let the request through (false). */
export type Intercept = (req: http.IncomingMessage, res: http.ServerResponse, host: string | undefined, known: boolean) => boolean;

export class SharedListener {
  /** Requests for a host no environment claims. */
  misdirected = 0;
  listening = false;
  error: string | undefined;
  private draining = false;
  private readonly edge: boolean;
  private states = new Map<EnvRuntime, ListenerState>();
  private hosts = new HostTable<ListenerState>([]);
  /** Answers some requests before routing (on plain HTTP beside HTTPS: the redirect). */
  intercept: Intercept | undefined;

  constructor(
    readonly name: 'http' | 'https',
    readonly address: ListenAddress,
  ) {
    this.edge = edgeModeOf({ host: address.host });
  }

  /** Routes `domain → environment` from now on (one assignment: requests see the old or the new table). */
  setRoutes(routes: Iterable<readonly [domain: string, env: EnvRuntime]>): void {
    const states = new Map<EnvRuntime, ListenerState>();
    const entries: [string, ListenerState][] = [];
    for (const [domain, env] of routes) {
      let ls = states.get(env);
      if (!ls) {
        ls = this.states.get(env) ?? { env, draining: this.draining, proto: this.name, edge: this.edge };
        states.set(env, ls);
      }
      entries.push([domain, ls]);
    }
    this.states = states;
    this.hosts = new HostTable(entries);
  }

  /** The request handler of this listener's server. */
  readonly handler: RequestHandler = (req, res) => {
    const host = hostOf(req.headers.host ?? (req.headers[':authority'] as string | undefined));
    const ls = host === undefined ? undefined : this.hosts.lookup(host);
    if (this.intercept?.(req, res, host, ls !== undefined)) return;
    if (ls === undefined) return this.misdirect(res, host);
    handleRequest(ls, req, res);
  };

  /** Asks clients to reconnect (`Connection: close`), as an environment's own listener does. */
  drain(): void {
    this.draining = true;
    for (const ls of this.states.values()) ls.draining = true;
  }

  status(): SharedListenerStatus {
    const s: SharedListenerStatus = { name: this.name, address: formatAddress(this.address), listening: this.listening };
    if (this.error !== undefined) s.error = this.error;
    return s;
  }

  private misdirect(res: http.ServerResponse, host: string | undefined): void {
    this.misdirected++;
    const body = host === undefined ? 'slipway proxy: the request names no host\n' : `slipway proxy: no environment serves ${JSON.stringify(host.slice(0, 255))} here\n`;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) };
    if (this.draining && res.req.httpVersionMajor < 2) headers.connection = 'close';
    res.writeHead(421, headers);
    res.end(body);
  }
}
