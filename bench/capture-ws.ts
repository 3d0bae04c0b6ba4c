/**
 * Event capture over the loopback WebSocket transport (`netrx.lrec.v1`, no
 * TLS, bearer token in the Authorization header): the synthetic provider
 * (128-byte user data) into one MS-LREC session behind `startLrecWsServer`
 * (netrx's own WebSocket server), read by the netrx client (`connectLrecWs`)
 * that keeps one receive outstanding and walks every EVENT_BUFFER by
 * DataSize, as bench/capture-rpc.ts does over DCE/RPC; against the physical
 * limit, a plain Node TCP stream of the same bytes. The shared harness is
 * bench/support/capture-loopback.ts.
 *
 *   npm run bench -- capture-ws
 */
import { connectLrecWs, startLrecWsServer } from '../src/node/capture/index.js';
import { runLoopbackCaptureBench } from './support/capture-loopback.js';

const TOKEN = 'bench-token-0123456789abcdef';

await runLoopbackCaptureBench({
  title: 'capture: synthetic → session → WebSocket over loopback',
  name: 'netrx LREC WebSocket',
  async open(table) {
    const server = await startLrecWsServer({ table, port: 0, token: TOKEN });
    const client = await connectLrecWs({ url: `ws://127.0.0.1:${server.port}`, token: TOKEN });
    const handle = await client.open('bench');
    return {
      receive: () => client.receive(handle),
      stats: () =>
        `server slow readers ${server.stats().slowReaders}, deferred receives ${server.stats().deferredReceives}`,
      async close() {
        client.end();
        await server.close();
      },
    };
  },
});
