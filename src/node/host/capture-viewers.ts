/**
 * Dashboard viewers: every page that opens the capture WebSocket at
 * `CAPTURE_VIEWER_WS_PATH` gets a session table of its own holding a copy
 * of each configured session (same name, providers, level and queue
 * limits), so two tabs, or a tab and Wireshark, watch at once. Each copy is
 * its own listener on the trace providers: its own bounded queue, its own
 * lost count, its own Data Completion Timer, so one slow tab loses events
 * (counted, in its own NET_EVENT_LOST) without costing another anything.
 * The protocol is `netrx.lrec.v1` unchanged: the page opens `default` by
 * name and reads it as any client would.
 *
 * The sessions of the shared table (`/capture` and the RPC transport, where
 * Wireshark's extcap reads) keep MS-LREC's rule: one client per session,
 * `ERROR_BUSY` for a second (docs/seeds.md). Viewers never take them.
 *
 * Bounded: at most `max` viewers (`capture.maxViewers`); one more is
 * accepted and closed at once with 1013 (Try Again Later) and a reason a
 * person can read, counted as `refused`. A viewer's table is stopped and
 * dropped when its connection closes, whether the handshake finished or not.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { LREC_WS_SUBPROTOCOL, SessionTable, type EventSession } from '../../capture/index.js';
import type { Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { createLrecWsEndpoint, type LrecWsEndpoint } from '../capture/index.js';
import { WebSocketServer } from '../websocket/index.js';
import type { HostConfig } from './config.js';
import { replaceChangedSessions, startConfiguredSession } from './capture-sessions.js';

/** Where a dashboard page reads its own copy of the sessions. */
export const CAPTURE_VIEWER_WS_PATH = '/capture/viewer';
/** The close code a viewer past the limit gets (RFC 6455 §7.4.1: Try Again Later). */
export const VIEWERS_FULL_CLOSE_CODE = 1013;
/** The most entries `capture.sessions` takes (config-services.ts). */
const MAX_CONFIGURED_SESSIONS = 64;

export interface CaptureViewersOptions {
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  readonly sessions: HostConfig['capture']['sessions'];
  readonly max: number;
  /** Keep-alive of each viewer's connection (capture.ws). */
  readonly keepAliveIntervalMs?: number;
  readonly keepAliveTimeoutMs?: number;
}

export interface CaptureViewerStats {
  readonly open: number;
  readonly max: number;
  readonly opened: number;
  readonly refused: number;
  /** Events delivered to and lost by viewers, closed ones included. */
  readonly deliveredEvents: number;
  readonly lostEvents: number;
}

interface Viewer {
  readonly table: SessionTable;
  readonly endpoint: LrecWsEndpoint;
}

export class CaptureViewers {
  private readonly viewers = new Set<Viewer>();
  private readonly options: CaptureViewersOptions;
  /** `capture.sessions` and `maxViewers` now (a reload may change them in place). */
  private sessionEntries: HostConfig['capture']['sessions'];
  private max: number;
  /** capture.ws keep-alive now (a reload may change it in place). */
  private keepAlive: { intervalMs?: number; timeoutMs?: number };
  private counters = { opened: 0, refused: 0, deliveredEvents: 0, lostEvents: 0 };
  private closed = false;
  /** Accepts the one past the limit, only to say why it is closed. */
  private readonly refusals = new WebSocketServer({
    noServer: true,
    maxPayload: 1024,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(LREC_WS_SUBPROTOCOL) ? LREC_WS_SUBPROTOCOL : false),
  });

  constructor(options: CaptureViewersOptions) {
    this.options = options;
    this.sessionEntries = options.sessions;
    this.max = options.max;
    this.keepAlive = {
      ...(options.keepAliveIntervalMs === undefined
        ? {}
        : { intervalMs: options.keepAliveIntervalMs }),
      ...(options.keepAliveTimeoutMs === undefined
        ? {}
        : { timeoutMs: options.keepAliveTimeoutMs }),
    };
  }

  /**
   * A reload changed `capture.ws`'s keep-alive: every open page's
   * connection is re-armed with it, new pages get it.
   */
  reconfigureKeepAlive(intervalMs: number, timeoutMs: number): void {
    this.keepAlive = { intervalMs, timeoutMs };
    for (const viewer of this.viewers)
      viewer.endpoint.reconfigure({
        keepAliveIntervalMs: intervalMs,
        keepAliveTimeoutMs: timeoutMs,
      });
  }

  /**
   * A reload changed `capture.sessions` or `maxViewers` (review D7): every
   * open page's copies of the changed sessions are replaced, its others
   * keep running; new pages get the new list. Pages past a lowered `max`
   * stay open (they are refused only when they come).
   */
  reconfigure(sessions: HostConfig['capture']['sessions'], max: number): void {
    for (const viewer of this.viewers)
      replaceChangedSessions(viewer.table, this.sessionEntries, sessions);
    this.sessionEntries = sessions;
    this.max = max;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    if (this.viewers.size >= this.max) {
      this.counters.refused++;
      this.refusals.handleUpgrade(request, socket, head, (ws) => {
        ws.on('error', () => undefined);
        ws.close(
          VIEWERS_FULL_CLOSE_CODE,
          this.max === 0
            ? 'dashboard viewers are off (capture.maxViewers: 0)'
            : `${this.max} dashboard viewer(s) already: close one (capture.maxViewers)`,
        );
      });
      return;
    }
    const table = new SessionTable({
      registry: this.options.registry,
      clock: this.options.clock,
      // As many as capture.sessions may list, so a reload can add sessions to it.
      maxSessions: MAX_CONFIGURED_SESSIONS,
    });
    for (const session of this.sessionEntries) startConfiguredSession(table, session);
    const viewer: Viewer = {
      table,
      endpoint: createLrecWsEndpoint({
        table,
        onConnectionClosed: () => done(),
        clock: this.options.clock,
        ...(this.keepAlive.intervalMs === undefined
          ? {}
          : { keepAliveIntervalMs: this.keepAlive.intervalMs }),
        ...(this.keepAlive.timeoutMs === undefined
          ? {}
          : { keepAliveTimeoutMs: this.keepAlive.timeoutMs }),
      }),
    };
    const done = () => {
      if (this.viewers.delete(viewer)) this.retire(viewer);
    };
    const endpoint = viewer.endpoint;
    this.viewers.add(viewer);
    this.counters.opened++;
    // A handshake that fails never reaches onConnectionClosed: the socket's end does.
    socket.once('close', done);
    endpoint.handleUpgrade(request, socket, head);
  }

  stats(): CaptureViewerStats {
    let delivered = 0;
    let lost = 0;
    for (const viewer of this.viewers) {
      for (const session of viewer.table.sessions()) {
        const stats = session.stats();
        delivered += stats.deliveredEvents;
        lost += stats.lostTotal;
      }
    }
    return {
      open: this.viewers.size,
      max: this.max,
      opened: this.counters.opened,
      refused: this.counters.refused,
      deliveredEvents: this.counters.deliveredEvents + delivered,
      lostEvents: this.counters.lostEvents + lost,
    };
  }

  /** Sessions of the viewers now, for the stop's flush. */
  sessions(): EventSession[] {
    return [...this.viewers].flatMap((viewer) => [...viewer.table.sessions()]);
  }

  /** Stops every viewer's sessions and cuts its connection. */
  close(): void {
    this.closed = true;
    for (const viewer of [...this.viewers]) {
      this.viewers.delete(viewer);
      this.retire(viewer);
    }
    this.refusals.close();
  }

  private retire(viewer: Viewer): void {
    for (const session of viewer.table.sessions()) {
      if (session.state === 'Running') session.stop();
      const stats = session.stats();
      this.counters.deliveredEvents += stats.deliveredEvents;
      this.counters.lostEvents += stats.lostTotal;
    }
    viewer.endpoint.close();
  }
}
