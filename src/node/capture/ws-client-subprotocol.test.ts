/**
 * The capture client offers netrx.lrec.v1; a server that chooses no
 * subprotocol (an echo, say) is refused with the capture client's own
 * ERR_CAPTURE_WS_HANDSHAKE. Since the ws-like WebSocket fails such a
 * handshake itself as ws 8.23.0 does ('Server sent no subprotocol', issue
 * 8), the refusal comes from there and is translated here.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer } from '../websocket/index.js';
import { connectLrecWs } from './index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

it('refuses a server that chose no subprotocol with ERR_CAPTURE_WS_HANDSHAKE', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => false });
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  const refusal = await connectLrecWs({ url }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refusal).toMatchObject({
    code: 'ERR_CAPTURE_WS_HANDSHAKE',
    message: 'The server did not select netrx.lrec.v1',
  });
});
