import { LISTEN_ADDRESS, parseListenAddress } from '../../node/host/address.js';
import { WebSocketServer, echoConnection } from '../../node/websocket/index.js';
import { integer } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';

export const websocketEchoCommand: CliCommand = {
  path: ['websocket', 'echo'],
  summary: 'a WebSocket echo server: text comes back as text, binary as binary',
  usage: 'websocket echo [--host ADDR] --port PORT [--deflate] [--max-message BYTES]',
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    deflate: { type: 'boolean' },
    'max-message': { type: 'string' },
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
    const server = new WebSocketServer({
      host,
      port,
      perMessageDeflate: values['deflate'] === true,
      ...(maxPayload === undefined ? {} : { maxPayload }),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
    } catch (error) {
      io.err(`netrx websocket echo: ${(error as Error).message}`);
      return 1;
    }
    server.on('connection', echoConnection);
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    io.out(`listening on ws://${shown}:${bound}/`);
    await io.untilStopped();
    for (const ws of server.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return 0;
  },
};
