import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { WebSocketServer, echoConnection } from '../websocket/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';

/** `websocket.echo` in `netrx up`: an echo endpoint on the host's HTTP port. */
export function websocketEchoService(config: HostConfig['websocket']['echo']): HostService {
  let server: WebSocketServer | undefined;
  let accepted = 0;
  return {
    name: 'websocket-echo',
    start(context) {
      // Registered now, not by the first connection's handle: /trace/providers
      // and a trace session started before anyone connects see the provider.
      context.trace.register(WEBSOCKET_PROVIDER);
      const wss = new WebSocketServer({
        noServer: true,
        perMessageDeflate: config.deflate,
        maxPayload: config.maxMessage,
        keepAliveInterval: config.keepAliveMs === 0 ? undefined : config.keepAliveMs,
        trace: context.trace,
      });
      server = wss;
      context.http.upgrade(config.path, (request, socket, head) => {
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
      server = undefined;
      if (wss === undefined) return;
      for (const ws of wss.clients) ws.close(1001, 'server going away');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    status: () => ({
      path: config.path,
      connections: server?.clients.size ?? 0,
      accepted,
    }),
  };
}
