/**
 * Event capture over loopback DCE/RPC: the synthetic provider (128-byte user
 * data) into one MS-LREC session behind `startLrecTcpServer`, read by the
 * netrx RPC client (`connectLrecTcp`) that keeps one ReceiveData outstanding
 * and walks every EVENT_BUFFER by DataSize; against the physical limit, a
 * plain Node TCP stream of the same bytes. The shared harness is
 * bench/support/capture-loopback.ts (the same as bench/capture-ws.ts).
 *
 *   npm run bench -- capture-rpc
 */
import { connectLrecTcp, startLrecTcpServer } from '../src/node/capture/index.js';
import { runLoopbackCaptureBench } from './support/capture-loopback.js';

await runLoopbackCaptureBench({
  title: 'capture: synthetic → session → RPC over loopback',
  name: 'netrx LREC RPC',
  async open(table) {
    const server = await startLrecTcpServer({ table, port: 0, insecureNoAuth: true });
    const client = await connectLrecTcp({ host: '127.0.0.1', port: server.port });
    const handle = await client.open('bench');
    return {
      receive: () => client.receive(handle),
      stats: () => {
        const stats = server.stats();
        return `server slow readers ${stats.slowReaders}, dropped ${JSON.stringify(stats.dropped)}`;
      },
      async close() {
        client.end();
        await server.close();
      },
    };
  },
});
