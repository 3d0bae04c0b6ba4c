/**
 * Event capture over the loopback WebSocket transport (`netrx.lrec.v1`, no
 * TLS, bearer token in the Authorization header): the server (session,
 * synthetic provider, `startLrecWsServer`) in a child process, the netrx
 * client (`connectLrecWs`) here keeping one receive outstanding; rate steps,
 * loss, server CPU per event and unsent bytes, a slow socket, and the
 * plain-TCP anchor (bench/support/capture-loopback.ts).
 *
 *   npm run bench -- capture-ws
 */
import { connectLrecWs } from '../src/node/capture/index.js';
import { BENCH_TOKEN, runLoopbackCaptureBench } from './support/capture-loopback.js';

await runLoopbackCaptureBench({
  title: 'capture: synthetic → session → WebSocket over loopback (server in its own process)',
  transport: 'ws',
  async connect(port) {
    const client = await connectLrecWs({ url: `ws://127.0.0.1:${port}`, token: BENCH_TOKEN });
    const handle = await client.open('bench');
    return {
      receive: () => client.receive(handle),
      close: () => {
        client.end();
        return Promise.resolve();
      },
    };
  },
});
