// Responses on one connection leave in an order that is valid for DCE/RPC: a
// Close that completes a parked ReceiveData on the same connection answers
// after it (the receive ran first and ended because of the close), checked
// byte for byte on the wire.
import { describe, expect, it } from 'vitest';
import {
  TestPeer,
  flush,
  receiveContents,
  rpcSetup,
} from '../../../test/support/capture-rpc-kit.js';
import { concat, toHex } from '../../bytes/index.js';

describe('LREC RPC server: response order on one connection', () => {
  it('Close on the connection of a parked receive: the receive response (success, empty) goes out first, then the close', async () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind(); // call 1
    const { handle } = peer.open(); // call 2
    peer.wire.length = 0;
    const receive = peer.client.receive(handle); // call 3: parks (nothing queued)
    const close = peer.client.close(handle); // call 4
    expect([receive.callId, close.callId]).toEqual([3, 4]);
    peer.write(receive.bytes);
    expect(peer.wire).toEqual([]);
    peer.write(close.bytes);
    await flush();
    expect(toHex(concat(peer.wire))).toBe(
      [
        // response, FIRST|LAST, drep LE, frag_length 36, call 3; alloc_hint 12, ctx 0;
        // BufferLength 0, NULL pointer, status 0 (MS-LREC §4: Stop/Close completes it as successful)
        '05000203',
        '10000000',
        '24000000',
        '03000000',
        '0c000000',
        '00000000',
        '00000000',
        '00000000',
        '00000000',
        // response to call 4: the NULL context handle
        '05000203',
        '10000000',
        '2c000000',
        '04000000',
        '14000000',
        '00000000',
        '0000000000000000000000000000000000000000',
      ].join(''),
    );
  });

  it('Close with events queued: the receive carries them as lost (NET_EVENT_LOST last), then the close', async () => {
    const { server, synthetic } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle } = peer.open();
    synthetic.emit(3);
    const receive = peer.client.receive(handle);
    const close = peer.client.close(handle);
    peer.write(concat([receive.bytes, close.bytes])); // both in one TCP segment
    await flush();
    expect(peer.answers.map((a) => a.kind === 'response' && a.callId)).toEqual([
      receive.callId,
      close.callId,
    ]);
    expect(receiveContents(peer.take())).toEqual({ status: 0, seqs: [], lost: 3 });
  });
});
