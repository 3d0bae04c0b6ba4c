/**
 * Event capture over loopback DCE/RPC (ncacn_ip_tcp, LREC ReceiveData): the
 * server (session, synthetic provider, `startLrecTcpServer`) in a child
 * process, the netrx client (`connectLrecTcp`) here keeping one receive
 * outstanding; rate steps, loss, server CPU per event, a slow socket, and
 * the plain-TCP anchor (bench/support/capture-loopback.ts).
 *
 *   npm run bench -- capture-rpc
 */
import { connectLrecTcp } from '../src/node/capture/index.js';
import { runLoopbackCaptureBench } from './support/capture-loopback.js';

await runLoopbackCaptureBench({
  title: 'capture: synthetic → session → RPC over loopback (server in its own process)',
  transport: 'rpc',
  async connect(port) {
    const client = await connectLrecTcp({ host: '127.0.0.1', port });
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
