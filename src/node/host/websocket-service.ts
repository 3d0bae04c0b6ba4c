import type { Clock, Timer } from '../../runtime/index.js';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { WebSocketServer, echoConnection } from '../websocket/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';
import { originAllowed } from './host-check.js';
import type { MetricFamily } from './metrics.js';

/** How long `stop` waits for peers to answer the close handshake before cutting them. */
export const STOP_GRACE_MS = 500;

type EchoConfig = HostConfig['websocket']['echo'];

/** Each echo service's section, for a running instance to read the next one's (updateInPlace). */
const echoConfigs = new WeakMap<HostService, EchoConfig>();

/** `websocket.echo` in `netrx up`: an echo endpoint on the host's HTTP port. */
export function websocketEchoService(initial: EchoConfig): HostService {
  let config = initial;
  let server: WebSocketServer | undefined;
  let stopClock: Clock | undefined;
  let accepted = 0;
  let refusedOrigins = 0;
  let refusedStopping = 0;
  let draining = false;
  /** Close codes of ended connections (the code the close frame carried; 1006 when none). */
  const closeCodes = new Map<number, number>();
  const service: HostService = {
    name: 'websocket-echo',
    get fingerprint() {
      return JSON.stringify(config);
    },
    // A new keepAliveMs alone is taken in place (review L3): the open
    // connections keep running and are pinged on the new interval. Turning
    // keep-alive on from 0 restarts: those connections have no timer.
    updateInPlace(next) {
      const wanted = echoConfigs.get(next);
      if (
        wanted === undefined ||
        (config.keepAliveMs === 0 && wanted.keepAliveMs > 0) ||
        JSON.stringify({ ...wanted, keepAliveMs: 0 }) !==
          JSON.stringify({ ...config, keepAliveMs: 0 })
      )
        return undefined;
      return () => {
        server?.setKeepAliveInterval(wanted.keepAliveMs);
        config = wanted;
      };
    },
    start(context) {
      draining = false;
      // Registered now, not by the first connection's handle: /trace/providers
      // and a trace session started before anyone connects see the provider.
      context.trace.register(WEBSOCKET_PROVIDER);
      stopClock = context.clock;
      const wss = new WebSocketServer({
        noServer: true,
        perMessageDeflate: config.deflate,
        maxPayload: config.maxMessage,
        keepAliveInterval: config.keepAliveMs === 0 ? undefined : config.keepAliveMs,
        // An echo speaks no subprotocol: choosing the client's first one (the
        // ws default) would let it pose as, say, the capture endpoint.
        handleProtocols: () => false,
        trace: context.trace,
      });
      server = wss;
      context.http.upgrade(config.path, (request, socket, head) => {
        if (draining || server !== wss) {
          refusedStopping++;
          socket.end(
            'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
          );
          return;
        }
        // A web page of another site must not talk to the host from the
        // user's browser: its Origin must be this host or an allowed one.
        if (!originAllowed(request.headers.origin, request.headers.host, config.allowedOrigins)) {
          refusedOrigins++;
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          accepted++;
          ws.once('close', (code: number) => closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1));
          echoConnection(ws);
          wss.emit('connection', ws, request);
        });
      });
      return Promise.resolve(
        `ws echo on ${context.url.replace(/^http/, 'ws')}${config.path.slice(1)}${config.deflate ? ' (permessage-deflate)' : ''}`,
      );
    },
    drain() {
      draining = true;
    },
    async stop() {
      const wss = server;
      const clock = stopClock;
      server = undefined;
      if (wss === undefined || clock === undefined) return;
      // Each connection is offered a close handshake (1001); one whose peer
      // does not answer within the grace period is cut. Without the bound, a
      // peer that never answers holds the HTTP server (and so the host's
      // stop) for the transport's 30 s close timeout.
      const open = [...wss.clients];
      const allClosed = Promise.all(
        open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve()))),
      );
      for (const ws of open) ws.close(1001, 'server going away');
      let timer: Timer | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = clock.setTimer(STOP_GRACE_MS, resolve);
      });
      await Promise.race([allClosed, graceOver]);
      timer?.cancel();
      const cut = wss.clients.size;
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      return `closed ${open.length} connection(s) (1001)${cut === 0 ? '' : `, ${cut} cut after ${STOP_GRACE_MS} ms`}`;
    },
    status: () => ({
      path: config.path,
      connections: server?.clients.size ?? 0,
      accepted,
      refusedOrigins,
      refusedStopping,
      closeCodes: Object.fromEntries(closeCodes),
    }),
    metrics: (): MetricFamily[] => [
      {
        name: 'netrx_websocket_connections',
        help: 'Open WebSocket connections.',
        type: 'gauge',
        samples: [{ labels: { endpoint: config.path }, value: server?.clients.size ?? 0 }],
      },
      {
        name: 'netrx_websocket_connections_accepted_total',
        help: 'WebSocket connections accepted.',
        type: 'counter',
        samples: [{ labels: { endpoint: config.path }, value: accepted }],
      },
      {
        name: 'netrx_websocket_refused_total',
        help: 'WebSocket upgrades refused, by reason.',
        type: 'counter',
        samples: [
          { labels: { endpoint: config.path, reason: 'origin' }, value: refusedOrigins },
          { labels: { endpoint: config.path, reason: 'stopping' }, value: refusedStopping },
        ],
      },
      {
        name: 'netrx_websocket_closes_total',
        help: 'WebSocket connections ended, by close code (1006: no close frame).',
        type: 'counter',
        samples: [...closeCodes].map(([code, count]) => ({
          labels: { endpoint: config.path, code: String(code) },
          value: count,
        })),
      },
    ],
  };
  echoConfigs.set(service, initial);
  return service;
}
