/**
 * `Http2WebSocketAgent`: many RFC 8441 WebSockets on one HTTP/2 session per
 * origin, as a browser does (`new WebSocket(url, { http2: agent })`). One
 * TCP (+TLS) connection carries them all, so a new WebSocket to a known
 * origin costs a stream (one round trip), not a connection and a handshake.
 *
 * Sessions are keyed by origin (scheme, host, port) plus every TLS and
 * socket option the session was made with (`http2SessionKey`): a WebSocket
 * shares a session only with WebSockets that asked for the same trust
 * (`ca`, `rejectUnauthorized`, `checkServerIdentity`, ...) and the same
 * client identity (`cert`/`key`/`pfx`), never one made more loosely or as
 * someone else. A session is used while it has fewer WebSockets than
 * `maxStreamsPerSession` and than the server's
 * `SETTINGS_MAX_CONCURRENT_STREAMS`; past that another session is opened.
 * WebSockets opened before a new session's SETTINGS arrive all reserve it;
 * once the SETTINGS are in, those past the server's limit move on
 * (`admit`), so none waits in nghttp2's queue for a slot. A CONNECT the
 * server refuses unprocessed anyway (`REFUSED_STREAM`, or above a GOAWAY's
 * last-stream-id) is retried once on another session (client-http2.ts).
 *
 * Life of a session: when its last WebSocket closes, it is closed
 * `idleTimeout` ms later unless a new WebSocket took it meanwhile. A session
 * that goes away (the server's GOAWAY, an error, a close) is forgotten at
 * once: its open streams finish on it (GOAWAY is graceful), and the next
 * WebSocket to that origin gets a fresh session (the agent reconnects on
 * demand, never in the background).
 */
import { connect as http2Connect, type ClientHttp2Session, type Http2Stream } from 'node:http2';
import { http2SessionKey } from './http2-agent-key.js';

export interface Http2WebSocketAgentOptions {
  /** Close a session this long after its last WebSocket closed (default 5000 ms; `Infinity`: never). */
  readonly idleTimeout?: number;
  /** WebSockets per session before the agent opens another one (default 100). */
  readonly maxStreamsPerSession?: number;
}

/** One session and the WebSockets on it. */
interface PooledSession {
  readonly session: ClientHttp2Session;
  /** WebSocket streams reserved on it: waiting for SETTINGS, opening or open. */
  streams: number;
  /** Of those, the ones `admit` let start their CONNECT (within the server's limit). */
  admitted: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export const DEFAULT_HTTP2_IDLE_TIMEOUT = 5000;
export const DEFAULT_STREAMS_PER_SESSION = 100;

export class Http2WebSocketAgent {
  private readonly idleTimeout: number;
  private readonly maxStreamsPerSession: number;
  /** Sessions by `http2SessionKey` (origin and connect options). */
  private readonly byKey = new Map<string, PooledSession[]>();
  private readonly pooled = new WeakMap<ClientHttp2Session, PooledSession>();
  /** Sessions the agent opened, over its life (tests and metrics read it). */
  sessionsOpened = 0;

  constructor(options: Http2WebSocketAgentOptions = {}) {
    this.idleTimeout = options.idleTimeout ?? DEFAULT_HTTP2_IDLE_TIMEOUT;
    this.maxStreamsPerSession = options.maxStreamsPerSession ?? DEFAULT_STREAMS_PER_SESSION;
    if (!(this.idleTimeout >= 0)) throw new RangeError('idleTimeout must be >= 0');
    if (!(this.maxStreamsPerSession >= 1))
      throw new RangeError('maxStreamsPerSession must be >= 1');
  }

  /** Sessions open now (all origins). */
  get sessionCount(): number {
    let n = 0;
    for (const list of this.byKey.values()) n += list.length;
    return n;
  }

  /**
   * @internal A session to `origin`, made with `connectOptions`, for one
   * more WebSocket (reserved: call `release` when its attempt fails or its
   * stream closes), other than `avoid`.
   */
  acquire(
    origin: string,
    connectOptions: Record<string, unknown>,
    avoid?: ClientHttp2Session,
  ): ClientHttp2Session {
    const key = http2SessionKey(origin, connectOptions);
    const list = this.byKey.get(key) ?? [];
    // `avoid`: the session that just refused this WebSocket's stream (a retry goes elsewhere).
    let pooled = list.find((p) => p.session !== avoid && this.usable(p));
    if (pooled === undefined) {
      pooled = this.open(origin, key, connectOptions, list);
    }
    pooled.streams++;
    pooled.session.ref();
    if (pooled.idleTimer !== undefined) {
      clearTimeout(pooled.idleTimer);
      pooled.idleTimer = undefined;
    }
    return pooled.session;
  }

  /**
   * @internal Once the server's SETTINGS are in: may this reservation start
   * its CONNECT? A session is handed out before its SETTINGS say how many
   * streams the server takes (WebSockets opened in one turn all get it), so
   * the limit is enforced here: past it the answer is no, and the caller
   * releases the reservation and acquires again (another session), rather
   * than queueing a stream the server will not open until the handshake
   * times out.
   */
  admit(session: ClientHttp2Session): boolean {
    const pooled = this.pooled.get(session);
    if (pooled === undefined) return true;
    if (pooled.admitted >= this.limitOf(pooled)) return false;
    pooled.admitted++;
    return true;
  }

  /** @internal Ties an admitted reservation to the WebSocket's stream: released when it closes. */
  bind(session: ClientHttp2Session, stream: Http2Stream): void {
    stream.once('close', () => this.release(session, true));
  }

  /** @internal A WebSocket on `session` is gone (or never opened); `admitted`: it had been. */
  release(session: ClientHttp2Session, admitted = false): void {
    const pooled = this.pooled.get(session);
    if (pooled === undefined || pooled.streams === 0) return;
    pooled.streams--;
    if (admitted && pooled.admitted > 0) pooled.admitted--;
    if (pooled.streams > 0 || session.closed || session.destroyed) return;
    // Idle: it must not keep the process alive (a WebSocket on it does).
    session.unref();
    if (this.idleTimeout === Infinity) return;
    pooled.idleTimer = setTimeout(() => {
      pooled.idleTimer = undefined;
      if (pooled.streams === 0) session.close();
    }, this.idleTimeout);
    pooled.idleTimer.unref();
  }

  /** Closes every session now (their WebSockets close with 1006). */
  destroy(): void {
    for (const list of [...this.byKey.values()]) {
      for (const p of [...list]) p.session.destroy();
    }
    this.byKey.clear();
  }

  private usable(p: PooledSession): boolean {
    const s = p.session;
    if (s.closed || s.destroyed) return false;
    // Before the SETTINGS arrive the server's limit reads as unlimited; `admit` corrects that.
    return p.streams < this.limitOf(p);
  }

  private limitOf(p: PooledSession): number {
    const serverLimit = p.session.remoteSettings.maxConcurrentStreams ?? Infinity;
    return Math.min(this.maxStreamsPerSession, serverLimit);
  }

  private open(
    origin: string,
    key: string,
    connectOptions: Record<string, unknown>,
    list: PooledSession[],
  ): PooledSession {
    const session = http2Connect(origin, connectOptions);
    this.sessionsOpened++;
    const pooled: PooledSession = { session, streams: 0, admitted: 0, idleTimer: undefined };
    list.push(pooled);
    this.byKey.set(key, list);
    this.pooled.set(session, pooled);
    const forget = (): void => this.forget(key, pooled);
    // Errors reach the WebSockets through their streams (1006); the session is forgotten.
    session.on('error', forget);
    session.once('goaway', forget);
    session.once('close', forget);
    return pooled;
  }

  private forget(key: string, pooled: PooledSession): void {
    if (pooled.idleTimer !== undefined) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const at = list.indexOf(pooled);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.byKey.delete(key);
  }
}
