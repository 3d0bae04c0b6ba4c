/**
 * What the host's HTTP server adds to every answer and checks on every
 * connection, apart from who is asking (session-auth.ts):
 *
 * - headers that keep a browser from leaking or misusing an answer: no
 *   Referer (a URL may carry a login code), no sniffing, no framing, and
 *   for the API a Content-Security-Policy that allows nothing (the page's
 *   own policy is static-files.ts's);
 * - the rule for a state-changing POST (`/login`, `/logout`): it must come
 *   from a page of this host: an `Origin` that is this host's own, or no
 *   Origin with `Sec-Fetch-Site: same-origin`. `Origin: null` (a sandboxed
 *   frame, a file:// page, a redirect across sites) is another site;
 * - per-address and global connection bounds, and a bound on WebSocket
 *   connections, so that a few clients holding sockets open (slowloris, a
 *   pile of upgrades) cannot take the endpoint from everyone else.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { addressKey, limiterKey } from './login-limiter.js';
import { sameOrigin } from './session-auth.js';

/** On every answer of the API (JSON, text, downloads, redirects). */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Whether a POST to `/login` or `/logout` comes from a page this host
 * served. A client that is no browser (no Origin, no Sec-Fetch-Site) is
 * refused too: it has the bearer token and needs no login.
 */
export function postFromOwnPage(request: IncomingMessage, tls: boolean): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return sameOrigin(origin, request.headers.host, tls);
  return request.headers['sec-fetch-site'] === 'same-origin';
}

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxWebSockets: number;
}

/** Connections refused, by why; what /health and /metrics show. */
export interface ConnectionStats {
  readonly open: number;
  readonly webSockets: number;
  readonly refusedPerAddress: number;
  readonly refusedTotal: number;
  readonly refusedWebSockets: number;
  /** Connections cut before their first request to make room for a new one from their address (review M6). */
  readonly evictedPreAuth: number;
}

interface Tracked {
  readonly key: string;
  /** Still before its first request or authorized upgrade. */
  pending: boolean;
}

/**
 * Counts the server's connections by remote address (IPv6 by /64, all of
 * loopback as one: the login limiter's `limiterKey`) and the WebSockets
 * handed to upgrade routes; refuses what is over a bound. Any local user
 * can connect from any 127.x address without privilege, so keying them
 * apart would let one local client hold 16 million times the per-address
 * bound; they are one machine, so one address.
 *
 * At the per-address bound a new connection does not lose to sockets that
 * have not sent a request yet (review M6): the address's oldest connection
 * still before its first request (a slow-headers client, a half-open TLS
 * handshake) is cut to make room, and only when every connection of the
 * address has sent one is the new one refused. So 128 slow sockets from
 * any local account no longer lock the dashboard, `/health` and a
 * Prometheus scrape out of loopback: a real client sends its request at
 * once, and the bound on what one address holds stays where it was.
 */
export class ConnectionGuard {
  private readonly limits: ConnectionLimits;
  private readonly byAddress = new Map<string, number>();
  /** By address, in accept order: the connections still before their first request. */
  private readonly pending = new Map<string, Set<Duplex>>();
  private readonly live = new Map<Duplex, Tracked>();
  private open = 0;
  private webSockets = 0;
  private refused = { perAddress: 0, total: 0, webSockets: 0 };
  private evicted = 0;

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
  }

  /** A new connection: false (and the socket destroyed) when it is over a bound. */
  admit(socket: Socket): boolean {
    const key = limiterKey(addressKey(socket.remoteAddress));
    if (this.open >= this.limits.maxConnections) {
      this.refused.total++;
      socket.destroy();
      return false;
    }
    if (
      (this.byAddress.get(key) ?? 0) >= this.limits.maxConnectionsPerAddress &&
      !this.evictPending(key)
    ) {
      this.refused.perAddress++;
      socket.destroy();
      return false;
    }
    this.open++;
    this.byAddress.set(key, (this.byAddress.get(key) ?? 0) + 1);
    this.live.set(socket, { key, pending: true });
    let waiting = this.pending.get(key);
    if (waiting === undefined) this.pending.set(key, (waiting = new Set()));
    waiting.add(socket);
    socket.once('close', () => this.release(socket));
    return true;
  }

  /** `socket` sent its first request (or an authorized upgrade): never cut for room. */
  passed(socket: Duplex): void {
    const tracked = this.live.get(socket);
    if (tracked === undefined || !tracked.pending) return;
    tracked.pending = false;
    this.dropPending(tracked.key, socket);
  }

  /** An upgrade about to be handed to its route: false when the WebSocket bound is reached. */
  admitWebSocket(socket: Duplex): boolean {
    if (this.webSockets >= this.limits.maxWebSockets) {
      this.refused.webSockets++;
      return false;
    }
    this.webSockets++;
    socket.once('close', () => this.webSockets--);
    return true;
  }

  stats(): ConnectionStats {
    return {
      open: this.open,
      webSockets: this.webSockets,
      refusedPerAddress: this.refused.perAddress,
      refusedTotal: this.refused.total,
      refusedWebSockets: this.refused.webSockets,
      evictedPreAuth: this.evicted,
    };
  }

  /** Cuts `key`'s oldest connection before its first request; false when it has none. */
  private evictPending(key: string): boolean {
    const oldest = this.pending.get(key)?.values().next();
    if (oldest === undefined || oldest.done === true) return false;
    this.release(oldest.value);
    oldest.value.destroy();
    this.evicted++;
    return true;
  }

  /** Stops counting `socket` (closed or cut); once only. */
  private release(socket: Duplex): void {
    const tracked = this.live.get(socket);
    if (tracked === undefined) return;
    this.live.delete(socket);
    this.open--;
    const left = (this.byAddress.get(tracked.key) ?? 1) - 1;
    if (left <= 0) this.byAddress.delete(tracked.key);
    else this.byAddress.set(tracked.key, left);
    if (tracked.pending) this.dropPending(tracked.key, socket);
  }

  private dropPending(key: string, socket: Duplex): void {
    const waiting = this.pending.get(key);
    waiting?.delete(socket);
    if (waiting?.size === 0) this.pending.delete(key);
  }
}

/**
 * An upgrade refused after `admission.passed` (authorized, then no route, a
 * foreign Origin or no WebSocket slot): the pre-auth deadline no longer
 * covers the socket and it has left the HTTP parser, so ending it is not
 * enough (a peer that keeps its half open would hold it for good). Destroy
 * it once the answer is flushed, or after 2 s if the peer does not read.
 */
export function refuseUpgrade(socket: Duplex, answer: string): void {
  socket.end(answer, () => socket.destroy());
  setTimeout(() => socket.destroy(), 2_000).unref();
}
