import { readFile } from 'node:fs/promises';
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
} from 'node:http2';
import { join } from 'node:path';
import { LISTEN_ADDRESS, parseListenAddress } from '../../node/host/address.js';
import { WebSocketServer, echoConnection } from '../../node/websocket/index.js';
import { integer } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';

export const websocketEchoCommand: CliCommand = {
  path: ['websocket', 'echo'],
  summary: 'a WebSocket echo server: text comes back as text, binary as binary',
  usage:
    'websocket echo [--host ADDR] --port PORT [--deflate] [--max-message BYTES] [--http2 [--certs DIR]]',
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    deflate: { type: 'boolean' },
    'max-message': { type: 'string' },
    // RFC 8441: WebSockets as HTTP/2 streams, h2c, or TLS with DIR/server.pem and server-key.pem.
    http2: { type: 'boolean' },
    certs: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const hostText = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    // Checked here, without DNS: Node's listen() would look a bad address up as a name.
    const host = parseListenAddress(hostText);
    if (host === undefined)
      throw new UsageError(`--host: expected ${LISTEN_ADDRESS}, got ${JSON.stringify(hostText)}`);
    const port = integer('--port', values['port'], 0, 65535);
    const maxPayload =
      values['max-message'] === undefined
        ? undefined
        : integer('--max-message', values['max-message'], 1, 2 ** 31);
    const certs = typeof values['certs'] === 'string' ? values['certs'] : undefined;
    const http2 = values['http2'] === true;
    if (certs !== undefined && !http2) throw new UsageError('--certs: only with --http2');
    let http2Server: Http2Server | Http2SecureServer | undefined;
    let server: WebSocketServer;
    const sessions = new Set<{ destroy(): void }>();
    const shared = {
      perMessageDeflate: values['deflate'] === true,
      ...(maxPayload === undefined ? {} : { maxPayload }),
    };
    try {
      if (http2) {
        http2Server = await createHttp2Server(certs);
        server = new WebSocketServer({ http2Server, ...shared });
        http2Server.on(
          'session',
          (session: { destroy(): void; once(e: 'close', f: () => void): void }) => {
            sessions.add(session);
            session.once('close', () => sessions.delete(session));
          },
        );
        const listening = http2Server;
        await new Promise<void>((resolve, reject) => {
          listening.once('error', reject);
          listening.listen(port, host, resolve);
        });
      } else {
        server = new WebSocketServer({ host, port, ...shared });
        const listening = server;
        await new Promise<void>((resolve, reject) => {
          listening.once('listening', resolve);
          listening.once('error', reject);
        });
      }
    } catch (error) {
      io.err(`netrx websocket echo: ${(error as Error).message}`);
      http2Server?.close();
      return 1;
    }
    server.on('connection', echoConnection);
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    const scheme = certs === undefined ? 'ws' : 'wss';
    io.out(`listening on ${scheme}://${shown}:${bound}/${http2 ? ' (HTTP/2, RFC 8441)' : ''}`);
    await io.untilStopped();
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (http2Server !== undefined) {
      const closing = http2Server;
      // close() waits for open sessions: end them (their WebSockets are gone).
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        for (const session of sessions) session.destroy();
      });
    }
    return 0;
  },
};

/** h2c, or TLS from DIR/server.pem and DIR/server-key.pem (`netrx certs demo DIR` writes them). */
async function createHttp2Server(
  certs: string | undefined,
): Promise<Http2Server | Http2SecureServer> {
  const settings = { enableConnectProtocol: true };
  if (certs === undefined) return createServer({ settings });
  const [cert, key] = await Promise.all([
    readFile(join(certs, 'server.pem'), 'utf8'),
    readFile(join(certs, 'server-key.pem'), 'utf8'),
  ]);
  return createSecureServer({ cert, key, settings });
}
