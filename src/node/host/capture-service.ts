/**
 * `capture` in `netrx up`: the host's event sessions (a netrx/capture
 * `SessionTable` on the host's trace bus, so `providers: ['*']` is fed by
 * every provider of every service, present and future) and, when
 * `capture.rpc.enabled`, the MS-LREC DCE/RPC transport in front of them.
 * The WebSocket transport (`netrx.lrec.v1`) is always mounted on the
 * host's own HTTP server at `CAPTURE_WS_PATH`, behind its Host check, TLS and
 * token, so the dashboard reaches its session on its own origin. Other
 * transports take the same table through `captureTable()`.
 */
import { SessionTable, type EventSession, type SessionLimits } from '../../capture/index.js';
import type { Timer } from '../../runtime/index.js';
import { checkKeepAlive } from '../capture/ws-keepalive.js';
import {
  createLrecWsEndpoint,
  startLrecTcpServer,
  type LrecTcpServer,
  type LrecWsEndpoint,
} from '../capture/index.js';
import { CAPTURE_VIEWER_WS_PATH, CaptureViewers } from './capture-viewers.js';
import type { HostConfig } from './config.js';
import type { HostContext, HostService } from './host.js';
import type { MetricFamily } from './metrics.js';
import { startCaptureNats, usesNats, type CaptureNats } from './capture-nats.js';
import { NATS_SERVICE, natsConnectionOf, type NatsService } from './nats-service.js';
import { SessionMatchCounts } from './capture-match-counts.js';
import { replaceChangedSessions, startConfiguredSession } from './capture-sessions.js';
import { HostListenError, listenReason } from './start-errors.js';

/** Where the host serves the capture WebSocket (`ws://127.0.0.1:7340/capture`). */
export const CAPTURE_WS_PATH = '/capture';
export { CAPTURE_VIEWER_WS_PATH } from './capture-viewers.js';

/** Bytes one queued event takes, as an estimate for `queueEvents`. */
const EVENT_ESTIMATE = 8 + 96 + 128 + 12;

/** How long `stop` lets a reading client collect what is queued before the sessions stop. */
export const FLUSH_GRACE_MS = 1000;

/**
 * `queueEvents` (or `netrx capture serve --queue-events N`) as session
 * limits: up to 16 buffers of ceil(N / buffers) events each (a buffer is
 * also what one receive returns), sized for 128-byte events; the queue holds
 * N events rounded up to whole buffers.
 */
export function queueLimits(
  events: number,
): Pick<SessionLimits, 'maxBuffers' | 'eventsPerBuffer' | 'bufferBytes'> {
  const maxBuffers = Math.min(16, events);
  const eventsPerBuffer = Math.ceil(events / maxBuffers);
  const bufferBytes = Math.min(1 << 20, Math.max(4096, eventsPerBuffer * EVENT_ESTIMATE + 12));
  return { maxBuffers, eventsPerBuffer, bufferBytes };
}

export interface CaptureService extends HostService {
  /** The running table (undefined while stopped), for other capture transports. */
  captureTable(): SessionTable | undefined;
  /** The `capture` section it runs with (after a reload's update in place, the new one). */
  captureConfig(): HostConfig['capture'];
}

function isCaptureService(service: HostService): service is CaptureService {
  return (
    service.name === 'capture' &&
    typeof (service as Partial<CaptureService>).captureConfig === 'function'
  );
}

/**
 * Which parts of `capture` differ between `before` and `after`, for a
 * reload that changes them in place (review D7, issue 14): the sessions
 * (`sessions`, `maxViewers`), the WebSocket limits (`ws`), the RPC listener
 * (`rpc`), the NATS fan-in (`nats`). `other` is any key none of them covers
 * (none today; a key added later restarts the service until it is handled).
 */
export function captureChanges(
  before: HostConfig['capture'],
  after: HostConfig['capture'],
): { sessions: boolean; ws: boolean; rpc: boolean; nats: boolean; other: boolean } {
  const same = (pick: (c: HostConfig['capture']) => unknown) =>
    JSON.stringify(pick(before)) === JSON.stringify(pick(after));
  return {
    sessions: !same((c) => [c.sessions, c.maxViewers]),
    ws: !same((c) => c.ws),
    rpc: !same((c) => c.rpc),
    nats: !same((c) => c.nats),
    other: !same((c) => ({
      ...c,
      sessions: undefined,
      maxViewers: undefined,
      ws: undefined,
      rpc: undefined,
      nats: undefined,
    })),
  };
}

/**
 * `tokenSet`: `http.token` is set. MS-LREC over ncacn_ip_tcp carries no
 * bearer token (impacket and Windows clients bind without one, and NTLM is
 * not implemented), so the RPC listener cannot require it; the check keeps
 * it on loopback, and with a token the start says once, as a warning, that
 * the token does not cover it (review S5), rather than refusing a setup
 * the extcap and impacket clients rely on.
 */
export function captureService(
  initial: HostConfig['capture'],
  options: {
    readonly tokenSet?: boolean;
    /** The host's NATS service (cluster.nats), whose connection capture.nats shares. */
    readonly nats?: NatsService;
  } = {},
): CaptureService {
  // Replaced by a reload's update in place (sessions, maxViewers only).
  let config = initial;
  /** The shared table's maxSessions, fixed when it is made. */
  let tableSize = 0;
  let table: SessionTable | undefined;
  /** What each configured session matched since it was configured (review M3). */
  let matchCounts: SessionMatchCounts | undefined;
  let rpc: LrecTcpServer | undefined;
  let ws: LrecWsEndpoint | undefined;
  let viewers: CaptureViewers | undefined;
  let flushed = { events: 0, sessions: 0 };
  let clock: Parameters<HostService['start']>[0]['clock'] | undefined;
  let nats: CaptureNats | undefined;
  /** The running start's context, for a reload's update in place. */
  let started: HostContext | undefined;
  /** Starts the table's stopped sessions again once their client left (MS-LREC stops them). */
  let restartStopped: () => void = () => undefined;
  /** RPC listeners a reload moved away from, until their last client leaves. */
  const retiring = new Set<LrecTcpServer>();
  const retireRpc = (old: LrecTcpServer) => {
    retiring.add(old);
    void old.stopAccepting().then(() => retiring.delete(old));
  };
  const listenRpc = async (
    on: SessionTable,
    wanted: HostConfig['capture'],
    context: HostContext,
  ): Promise<LrecTcpServer> => {
    try {
      return await startLrecTcpServer({
        table: on,
        host: wanted.rpc.host,
        port: wanted.rpc.port,
        insecureNoAuth: true,
        trace: context.trace,
        onConnectionClosed: () => restartStopped(),
      });
    } catch (error) {
      throw new HostListenError(
        'capture.rpc.port',
        { protocol: 'tcp', address: wanted.rpc.host, port: wanted.rpc.port },
        listenReason(error),
        error,
      );
    }
  };
  /** With http.token: the RPC listener is not covered by it (review S5), said at every bind. */
  const warnUncovered = (listener: LrecTcpServer, context: HostContext) => {
    if (options.tokenSet !== true) return;
    const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
    context.log(
      `capture: warning: http.token does not cover rpc://${host}:${listener.port}: MS-LREC has no authentication here, so any local user can read every event; set capture.rpc.enabled: false to close it`,
    );
  };
  /** capture.nats over the host's NATS connection (cluster.nats), or undefined when unused. */
  const openNats = async (wanted: HostConfig['capture'], context: HostContext) =>
    usesNats(wanted)
      ? await startCaptureNats(
          wanted,
          natsConnectionOf(context, options.nats, 'capture.nats'),
          context.trace,
          context.clock,
        )
      : undefined;
  const sessions = (): readonly EventSession[] => table?.sessions() ?? [];
  const service: CaptureService = {
    name: 'capture',
    // Publishing or serving over NATS, it restarts with the host's connection.
    ...(usesNats(initial) ? { dependsOn: [NATS_SERVICE] } : {}),
    get fingerprint() {
      return JSON.stringify(config);
    },
    captureTable: () => table,
    captureConfig: () => config,
    /**
     * A reload changes each part of `capture` on its own (issue 14): the
     * sessions as sessionChanges says; `ws` limits and keep-alive in place
     * (the cap for new upgrades, keep-alive re-armed on every open
     * connection); `rpc` rebinds the listener (the new one first; the old
     * one stops accepting and its connections go on, their sessions and
     * queued events included, until their clients leave); `nats` restarts
     * the fan-in only (new link and publishers first, then the sessions
     * served from streams are replaced). A viewer, a `/capture` client and
     * an RPC session on what the change does not touch stay connected.
     */
    updateInPlace(next) {
      const running = table;
      const context = started;
      if (running === undefined || context === undefined || !isCaptureService(next))
        return undefined;
      const wanted = next.captureConfig();
      const change = captureChanges(config, wanted);
      if (change.other) return undefined;
      // The table's size is fixed at the start; sessions served from NATS share it.
      const natsSessions = change.nats
        ? wanted.nats.serve.length
        : running.sessions().length - config.sessions.length;
      if (wanted.sessions.length + natsSessions > tableSize) return undefined;
      const served = change.nats
        ? wanted.nats.serve.map((s) => s.name)
        : [...(nats?.sources.keys() ?? [])];
      const names = new Set(wanted.sessions.map((s) => s.name));
      if (served.some((name) => names.has(name))) return undefined;
      if (change.ws) {
        try {
          checkKeepAlive({
            intervalMs: wanted.ws.keepAliveIntervalMs,
            timeoutMs: wanted.ws.keepAliveTimeoutMs,
          });
        } catch {
          return undefined; // the restart reports it
        }
      }
      return async () => {
        // What can fail comes first, so a failure leaves everything as it ran.
        const nextRpc = !change.rpc
          ? rpc
          : wanted.rpc.enabled
            ? await listenRpc(running, wanted, context)
            : undefined;
        let nextNats = nats;
        if (change.nats) {
          try {
            nextNats = await openNats(wanted, context);
          } catch (error) {
            if (nextRpc !== rpc) await nextRpc?.close();
            throw error;
          }
        }
        if (change.rpc) {
          const old = rpc;
          rpc = nextRpc;
          if (old !== undefined) retireRpc(old);
          if (nextRpc !== undefined) warnUncovered(nextRpc, context);
        }
        if (change.nats) {
          for (const name of nats?.sources.keys() ?? []) {
            const session = running.session(name);
            if (session?.state === 'Running') session.stop();
            running.deleteSession(name);
          }
          const old = nats;
          nats = nextNats;
          await old?.close();
          startNatsSessions(running, nats);
        }
        if (change.sessions) {
          replaceChangedSessions(running, config.sessions, wanted.sessions);
          matchCounts?.sync(wanted.sessions);
          viewers?.reconfigure(wanted.sessions, wanted.maxViewers);
        }
        if (change.ws) {
          ws?.reconfigure(wanted.ws);
          viewers?.reconfigureKeepAlive(
            wanted.ws.keepAliveIntervalMs,
            wanted.ws.keepAliveTimeoutMs,
          );
        }
        config = wanted;
      };
    },
    async start(context) {
      clock = context.clock;
      tableSize = Math.max(16, config.sessions.length);
      const created = new SessionTable({
        registry: context.trace,
        clock: context.clock,
        maxSessions: tableSize,
      });
      for (const session of config.sessions) startConfiguredSession(created, session);
      matchCounts = new SessionMatchCounts(context.trace);
      matchCounts.sync(config.sessions);
      // capture.nats: publishers for named sessions, sessions served from streams.
      nats = await openNats(config, context);
      startNatsSessions(created, nats);
      table = created;
      started = context;
      // MS-LREC stops a session when its client's connection drops; the host
      // starts it again so the next client can open it.
      const onConnectionClosed = () => {
        for (const session of created.sessions())
          if (session.state === 'Stopped' && table === created) session.start();
      };
      restartStopped = onConnectionClosed;
      // The HTTP server already checked Host, TLS and the bearer token.
      const endpoint = createLrecWsEndpoint({
        table: created,
        onConnectionClosed,
        clock: context.clock,
        trace: context.trace,
        ...config.ws,
      });
      ws = endpoint;
      context.http.upgrade(
        CAPTURE_WS_PATH,
        (request, socket, head) => {
          if (ws === undefined) {
            socket.end(
              'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
            );
            return;
          }
          ws.handleUpgrade(request, socket, head);
        },
        { sameOrigin: true },
      );
      // Dashboard pages: each its own copy of the sessions (capture-viewers.ts).
      const pages = new CaptureViewers({
        registry: context.trace,
        clock: context.clock,
        sessions: config.sessions,
        max: config.maxViewers,
        keepAliveIntervalMs: config.ws.keepAliveIntervalMs,
        keepAliveTimeoutMs: config.ws.keepAliveTimeoutMs,
      });
      viewers = pages;
      context.http.upgrade(
        CAPTURE_VIEWER_WS_PATH,
        (request, socket, head) => pages.handleUpgrade(request, socket, head),
        { sameOrigin: true },
      );
      const wsUrl = `${context.url.replace(/^http/, 'ws').replace(/\/$/, '')}${CAPTURE_WS_PATH}`;
      const names = config.sessions.map((s) => s.name).join(', ');
      const fanIn = natsStartup(nats);
      if (!config.rpc.enabled) return `session(s) ${names} on ${wsUrl} (capture.rpc off)${fanIn}`;
      try {
        rpc = await listenRpc(created, config, context);
      } catch (error) {
        // The host stops only the services that started: undo this one's half.
        await service.stop();
        throw error;
      }
      const host = rpc.host.includes(':') ? `[${rpc.host}]` : rpc.host;
      warnUncovered(rpc, context);
      const auth = options.tokenSet === true ? 'no auth, not covered by http.token' : 'no auth';
      return `MS-LREC on rpc://${host}:${rpc.port} (loopback, ${auth}) and ${wsUrl}, session(s) ${names}${fanIn}`;
    },
    async stop() {
      const running = table;
      const server = rpc;
      const endpoint = ws;
      if (running === undefined) return;
      started = undefined;
      // Flush: a client reading a session gets what is queued (bounded wait),
      // then every session stops; a pending receive completes with the rest
      // counted as lost, so delivered + lost still adds up.
      const queued = () =>
        running
          .sessions()
          .filter((s) => s.isOpen)
          .reduce((n, s) => n + s.stats().queuedEvents, 0);
      const before = running.sessions().reduce((n, s) => n + s.stats().deliveredEvents, 0);
      if (clock !== undefined && (server !== undefined || endpoint !== undefined)) {
        const deadline = clock.now() + FLUSH_GRACE_MS;
        while (queued() > 0 && clock.now() < deadline) await sleep(clock, 20);
      }
      const after = running.sessions().reduce((n, s) => n + s.stats().deliveredEvents, 0);
      viewers?.close();
      viewers = undefined;
      for (const session of running.sessions()) if (session.state === 'Running') session.stop();
      flushed = { events: after - before, sessions: running.sessions().length };
      matchCounts?.close();
      matchCounts = undefined;
      table = undefined;
      rpc = undefined;
      ws = undefined;
      endpoint?.close();
      await server?.close();
      // Listeners a reload moved away from, whose clients had not left yet.
      await Promise.all([...retiring].map((old) => old.close()));
      retiring.clear();
      await nats?.close();
      nats = undefined;
      return `flushed ${flushed.events} event(s), ${flushed.sessions} session(s) stopped`;
    },
    status: () => ({
      websocket:
        ws === undefined
          ? { enabled: false }
          : { enabled: true, path: CAPTURE_WS_PATH, ...ws.stats() },
      rpc: {
        ...(rpc === undefined
          ? { enabled: false }
          : { enabled: true, host: rpc.host, port: rpc.port, ...rpc.stats() }),
        // Connections still on a listener a reload moved away from.
        retiringConnections: [...retiring].reduce((n, old) => n + old.connections(), 0),
      },
      viewers: viewers?.stats() ?? { open: 0, max: config.maxViewers },
      sessions: sessions().map((session) => ({
        name: session.name,
        ...session.stats(),
        // Whether or not a client had it open (capture-match-counts.ts); absent for NATS-fed ones.
        matchedSinceStart: matchCounts?.matched(session.name),
      })),
      nats: nats?.status() ?? { enabled: false },
      flushed,
    }),
    // Booted during a NATS outage: serving local sessions, not yet publishing or reading streams.
    degraded: () => nats?.attachError(),
    metrics: (): MetricFamily[] => {
      const each = (pick: (s: ReturnType<EventSession['stats']>) => number) =>
        sessions().map((s) => ({ labels: { session: s.name }, value: pick(s.stats()) }));
      return [
        {
          name: 'netrx_capture_delivered_events_total',
          help: 'Events delivered to capture clients, per session.',
          type: 'counter',
          samples: each((s) => s.deliveredEvents),
        },
        {
          name: 'netrx_capture_lost_events_total',
          help: 'Events a capture session lost (queue full, oversize, discarded), per session.',
          type: 'counter',
          samples: each((s) => s.lostTotal),
        },
        {
          name: 'netrx_capture_queued_events',
          help: 'Events queued for the client of a capture session.',
          type: 'gauge',
          samples: each((s) => s.queuedEvents),
        },
        {
          name: 'netrx_capture_viewers',
          help: 'Dashboard pages reading their own copy of the sessions.',
          type: 'gauge',
          samples: [{ value: viewers?.stats().open ?? 0 }],
        },
        {
          name: 'netrx_capture_viewers_refused_total',
          help: 'Dashboard pages refused past capture.maxViewers.',
          type: 'counter',
          samples: [{ value: viewers?.stats().refused ?? 0 }],
        },
        {
          name: 'netrx_capture_session_open',
          help: '1 while a client holds the session handle.',
          type: 'gauge',
          samples: each((s) => (s.open ? 1 : 0)),
        },
        ...(nats?.metrics() ?? []),
      ];
    },
  };
  return service;
}

/**
 * The startup line's fan-in part: the host name its subjects and durables
 * carry, and whether it is this machine's (two hosts on one name read as one).
 */
export function natsStartup(nats: Pick<CaptureNats, 'host' | 'hostDerived'> | undefined): string {
  if (nats === undefined) return '';
  const from = nats.hostDerived ? " (this machine's; capture.nats.host names another)" : '';
  return `; capture.nats as host ${nats.host}${from}`;
}

/** Adds a session per stream `nats` serves (capture.nats.serve). */
function startNatsSessions(on: SessionTable, nats: CaptureNats | undefined): void {
  for (const [name, source] of nats?.sources ?? [])
    on.createSession({ name, providers: [], source, limits: queueLimits(4096) }).start();
}

function sleep(clock: { setTimer(ms: number, f: () => void): Timer }, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}
