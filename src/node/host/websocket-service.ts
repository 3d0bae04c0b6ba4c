import type { Clock, Timer } from '../../runtime/index.js';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { WebSocketServer, echoConnection } from '../websocket/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';
import { originAllowed } from './host-check.js';

/** How long `stop` waits for peers to answer the close handshake before cutting them. */
export const STOP_GRACE_MS = 500;

/** `websocket.echo` in `netrx up`: an echo endpoint on the host's HTTP port. */
export function websocketEchoService(config: HostConfig['websocket']['echo']): HostService {
  let server: WebSocketServer | undefined;
  let stopClock: Clock | undefined;
  let accepted = 0;
  let refusedOrigins = 0;
  return {
    name: 'websocket-echo',
    start(context) {
      // Registered now, not by the first connection's handle: /trace/providers
      // and a trace session started before anyone connects see the provider.
      context.trace.register(WEBSOCKET_PROVIDER);
      stopClock = context.clock;
      const wss = new WebSocketServer({
        noServer: true,
        perMessageDeflate: config.deflate,
        maxPayload: config.maxMessage,
        keepAliveInterval: config.keepAliveMs === 0 ? undefined : config.keepAliveMs,
        trace: context.trace,
      });
      server = wss;
      context.http.upgrade(config.path, (request, socket, head) => {
        // A web page of another site must not talk to the host from the
        // user's browser: its Origin must be this host or an allowed one.
        if (!originAllowed(request.headers.origin, request.headers.host, config.allowedOrigins)) {
          refusedOrigins++;
          socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          accepted++;
          echoConnection(ws);
          wss.emit('connection', ws, request);
        });
      });
      return Promise.resolve(
        `ws echo on ${context.url.replace(/^http/, 'ws')}${config.path.slice(1)}${config.deflate ? ' (permessage-deflate)' : ''}`,
      );
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
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    status: () => ({
      path: config.path,
      connections: server?.clients.size ?? 0,
      accepted,
      refusedOrigins,
    }),
  };
}
