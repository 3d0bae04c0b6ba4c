import { describe, expect, it } from 'vitest';
import {
  TestPeer,
  flush,
  receiveContents,
  rpcSetup,
} from '../../../test/support/capture-rpc-kit.js';
import {
  FaultStatus,
  NDR20_SYNTAX,
  NDR64_SYNTAX,
  PfcFlag,
  btfnSyntax,
  encodeRequest,
} from '../../wire/index.js';
import { LrecRpcClient } from './client.js';
import { encodeOpenRequest, isNullHandle } from './ndr.js';
import { LREC_INTERFACE, LrecRpcServer } from './server.js';

const NDR20 = { uuid: NDR20_SYNTAX.uuid, major: 2, minor: 0 };
const NDR64 = { uuid: NDR64_SYNTAX.uuid, major: 1, minor: 0 };

function faultOf(peer: TestPeer) {
  const answer = peer.take();
  if (answer?.kind !== 'fault') throw new Error(`expected a fault: ${JSON.stringify(answer)}`);
  return answer;
}

describe('LREC RPC server: bind', () => {
  it('accepts NDR20, refuses NDR64 with a provider rejection, answers BTFN (as Windows binds)', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.write(
      peer.client.bind([
        { id: 0, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR20] },
        { id: 1, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR64] },
        { id: 2, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [btfnSyntax(3)] },
      ]),
    );
    const ack = peer.take();
    if (ack?.kind !== 'bind_ack') throw new Error(JSON.stringify(ack));
    expect(ack.results.map((r) => [r.result, r.reason])).toEqual([
      [0, 0], // acceptance
      [2, 2], // provider rejection: proposed transfer syntaxes not supported
      [3, 0], // negotiate_ack: no features supported
    ]);
    expect(ack.assocGroup).toBeGreaterThan(0);
    expect(server.stats().binds).toBe(1);
  });

  it('rejects an unknown interface with abstract_syntax_not_supported, and its calls fault nca_unk_if', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.write(
      peer.client.bind([
        {
          id: 0,
          abstractSyntax: { uuid: 'e1af8308-5d1f-11c9-91a4-08002b14a0fa', major: 3, minor: 0 },
          transferSyntaxes: [NDR20],
        },
      ]),
    );
    const ack = peer.take();
    expect(ack?.kind === 'bind_ack' && ack.results[0]).toMatchObject({ result: 2, reason: 1 });
    peer.write(peer.client.open('Example Session').bytes);
    const fault = faultOf(peer);
    expect(fault.status).toBe(FaultStatus.nca_s_unk_if);
    expect(fault.flags & PfcFlag.DID_NOT_EXECUTE).toBe(PfcFlag.DID_NOT_EXECUTE);
  });

  it('refuses a bind with an auth trailer: bind_nak authentication_type_not_recognized', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    const bind = peer.client.bind();
    const withAuth = new Uint8Array(bind.length + 8 + 16);
    withAuth.set(bind);
    withAuth.set([10, 6, 0, 0], bind.length); // NTLM, PKT_PRIVACY
    const view = new DataView(withAuth.buffer);
    view.setUint16(8, withAuth.length, true);
    view.setUint16(10, 16, true);
    peer.write(withAuth);
    const nak = peer.take();
    expect(nak?.kind === 'bind_nak' && nak.reason).toBe(8);
    expect(server.stats().bindNaks).toBe(1);
  });

  it('without allowUnauthenticated, calls on an unauthenticated association fault with access denied', () => {
    const { server } = rpcSetup({ server: { allowUnauthenticated: false } });
    const peer = new TestPeer(server);
    expect(peer.bind()?.kind).toBe('bind_ack');
    peer.write(peer.client.open('Example Session').bytes);
    expect(faultOf(peer).status).toBe(5);
  });

  it('refuses fragment sizes under 1432 and a second bind', () => {
    const { server } = rpcSetup();
    const small = new TestPeer(server, new LrecRpcClient({ maxFragLength: 1000 }));
    expect(small.bind()?.kind).toBe('bind_nak');
    const peer = new TestPeer(server);
    expect(peer.bind()?.kind).toBe('bind_ack');
    expect(peer.bind()?.kind).toBe('bind_nak');
  });

  it('alter_context adds a context on the association', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const alter = peer.client.bind([
      { id: 5, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR64, NDR20] },
    ]);
    alter[2] = 14; // alter_context
    peer.write(alter);
    const resp = peer.take();
    expect(resp?.kind === 'alter_context_resp' && resp.results[0]?.result).toBe(0);
    peer.client.contextId = 5;
    expect(peer.open().status).toBe(0);
  });
});

describe('LREC RPC server: calls', () => {
  it('open, receive (completed by the timer), close; the handle is dead afterwards', async () => {
    const { server, synthetic, clock, session } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle, status } = peer.open();
    expect(status).toBe(0);
    expect(isNullHandle(handle)).toBe(false);
    expect(handle.subarray(0, 4)).toEqual(new Uint8Array(4)); // attributes 0
    synthetic.emit(5);
    peer.write(peer.client.receive(handle).bytes);
    expect(peer.answers).toEqual([]); // parked: not enough, timer not fired
    clock.advance(500);
    await flush();
    expect(receiveContents(peer.take())).toEqual({ status: 0, seqs: [0, 1, 2, 3, 4], lost: 0 });
    peer.write(peer.client.close(handle).bytes);
    const closed = peer.take();
    expect(closed?.kind === 'response' && closed.stub).toEqual(new Uint8Array(20));
    expect(session.state).toBe('Running'); // Close does not Stop
    peer.write(peer.client.receive(handle).bytes);
    expect(faultOf(peer).status).toBe(FaultStatus.nca_s_context_mismatch);
  });

  it('fails an unknown session name with its Win32 status and a NULL handle', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle, status } = peer.open('No Such Session');
    expect(status).toBe(1168); // ERROR_NOT_FOUND
    expect(isNullHandle(handle)).toBe(true);
  });

  it('a second receive while one is parked gets ERROR_ASYNC_REQUEST_PENDING and an empty buffer', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle } = peer.open();
    peer.write(peer.client.receive(handle).bytes);
    peer.write(peer.client.receive(handle).bytes);
    expect(receiveContents(peer.take())).toEqual({ status: 616, seqs: [], lost: 0 });
  });

  it('faults: opnum 3 → nca_s_op_rng_error, a bad stub → 0x6f7, an unknown handle → context mismatch', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    peer.write(peer.client.call(3, new Uint8Array(20)).bytes);
    expect(faultOf(peer).status).toBe(0x1c010002);
    peer.write(peer.client.call(1, new Uint8Array(7)).bytes);
    expect(faultOf(peer).status).toBe(0x6f7);
    peer.write(peer.client.receive(new Uint8Array(20).fill(9)).bytes);
    expect(faultOf(peer).status).toBe(0x1c00001a);
    expect(server.stats().faults).toEqual({
      '0x1c010002': 1,
      '0x000006f7': 1,
      '0x1c00001a': 1,
    });
  });

  it('a huge max_count or lying actual_count in the LoggerName is bad stub data, not an allocation', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const stub = encodeOpenRequest('Example Session');
    const view = new DataView(stub.buffer);
    view.setUint32(0, 0xffffffff, true); // max_count: legal (only actual_count is read)
    peer.write(peer.client.call(0, stub).bytes);
    const ok = peer.take();
    expect(ok?.kind).toBe('response');
    view.setUint32(8, 0x7fffffff, true); // actual_count past the stub
    peer.write(peer.client.call(0, stub).bytes);
    expect(faultOf(peer).status).toBe(0x6f7);
  });

  it('fragments a large EVENT_BUFFER at the client max_recv_frag and the client reassembles it', async () => {
    const { server, synthetic } = rpcSetup({ limits: { eventsPerBuffer: 200 } });
    const peer = new TestPeer(server, new LrecRpcClient({ maxFragLength: 1432 }));
    peer.bind();
    const { handle } = peer.open();
    synthetic.emit(200);
    peer.write(peer.client.receive(handle).bytes);
    await flush();
    const got = receiveContents(peer.take());
    expect(got.seqs).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(peer.sentBytes).toBeGreaterThan(200 * 120);
  });

  it('reassembles a fragmented request', () => {
    const { server, table } = rpcSetup();
    table
      .createSession({ name: 'L'.repeat(1000), providers: [{ provider: 'netrx-synthetic' }] })
      .start();
    const peer = new TestPeer(server);
    peer.bind();
    const bytes = encodeRequest(
      { callId: 40, contextId: 0, opnum: 0, stub: encodeOpenRequest('L'.repeat(1000)) },
      1432,
    );
    peer.write(bytes);
    const answer = peer.take();
    expect(answer?.kind === 'response' && answer.callId).toBe(40);
  });

  it('a request larger than maxRequestBytes faults once and its other fragments are discarded', () => {
    const { server } = rpcSetup({ server: { maxRequestBytes: 2048 } });
    const peer = new TestPeer(server);
    peer.bind();
    peer.write(
      encodeRequest({ callId: 9, contextId: 0, opnum: 0, stub: new Uint8Array(10_000) }, 1432),
    );
    // The wire value as a literal: comparing with the constant would pass whatever it holds.
    expect(faultOf(peer).status).toBe(0x1c00001b); // nca_s_fault_remote_no_memory (C706 appendix E)
    expect(peer.answers).toEqual([]);
    expect(peer.connection.bufferedBytes).toBe(0);
    expect(peer.open().status).toBe(0); // the connection still works
  });
});

describe('LREC RPC server: rundown and association groups', () => {
  it('a dropped connection runs its handles down: the session stops and a parked receive is not answered', async () => {
    const { server, session, synthetic } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle } = peer.open();
    synthetic.emit(3);
    peer.write(peer.client.receive(handle).bytes);
    peer.connection.closed();
    await flush();
    expect(session.state).toBe('Stopped');
    expect(peer.answers).toEqual([]);
    expect(server.stats()).toMatchObject({
      rundowns: 1,
      connections: 0,
      groups: 0,
      contextHandles: 0,
    });
  });

  it('handles are scoped to the association group; rundown waits for its last connection', () => {
    const { server, session } = rpcSetup();
    const first = new TestPeer(server);
    const ack = first.bind();
    if (ack?.kind !== 'bind_ack') throw new Error('bind');
    const { handle } = first.open();
    const stranger = new TestPeer(server);
    stranger.bind();
    stranger.write(stranger.client.receive(handle).bytes);
    expect(faultOf(stranger).status).toBe(FaultStatus.nca_s_context_mismatch);
    const second = new TestPeer(server);
    second.write(second.client.bind(undefined, ack.assocGroup));
    const joined = second.take();
    expect(joined?.kind === 'bind_ack' && joined.assocGroup).toBe(ack.assocGroup);
    first.connection.closed();
    expect(session.state).toBe('Running');
    second.write(second.client.close(handle).bytes); // Close from another connection of the group
    expect(second.take()?.kind).toBe('response');
    second.connection.closed();
    expect(session.state).toBe('Running'); // closed before the drop: nothing to run down
    expect(server.stats().rundowns).toBe(0);
  });
});

describe('LREC RPC server: association groups cannot be guessed or borrowed', () => {
  /** A Crypto that hands out `draws` (4-byte group ids) first, then counter bytes. */
  function scriptedCrypto(draws: number[][]) {
    let n = 0;
    return {
      randomBytes(length: number): Uint8Array<ArrayBuffer> {
        const next = length === 4 ? draws.shift() : undefined;
        if (next !== undefined) return new Uint8Array(next);
        return new Uint8Array(length).map((_, i) => (n++ + i) & 0xff);
      },
    };
  }

  it('group ids come from the injected Crypto (not a counter); 0 and a live id are drawn again', () => {
    const { table } = rpcSetup();
    const crypto = scriptedCrypto([
      [0xde, 0xad, 0xbe, 0xef],
      [0, 0, 0, 0], // 0 means "new group" on the wire: never an id
      [0xde, 0xad, 0xbe, 0xef], // live already
      [0x01, 0x02, 0x03, 0x04],
    ]);
    const server = new LrecRpcServer({ table, crypto, allowUnauthenticated: true });
    const ids = [new TestPeer(server).bind(), new TestPeer(server).bind()].map(
      (ack) => ack?.kind === 'bind_ack' && ack.assocGroup,
    );
    expect(ids).toEqual([0xefbeadde, 0x04030201]);
  });

  it("a bind naming another address's group gets a new group and none of its handles", () => {
    const { server, session } = rpcSetup();
    const owner = new TestPeer(server, undefined, '192.0.2.1');
    const ack = owner.bind();
    if (ack?.kind !== 'bind_ack') throw new Error('bind');
    const { handle } = owner.open();
    const other = new TestPeer(server, undefined, '192.0.2.2');
    other.write(other.client.bind(undefined, ack.assocGroup));
    const joined = other.take();
    expect(joined?.kind === 'bind_ack' && joined.assocGroup).not.toBe(ack.assocGroup);
    other.write(other.client.receive(handle).bytes);
    expect(faultOf(other).status).toBe(FaultStatus.nca_s_context_mismatch);
    owner.connection.closed(); // the owner's group had one connection: run down now
    expect(session.state).toBe('Stopped');
    expect(server.stats().rundowns).toBe(1);
  });

  it("a connection that joined a group idles out: it cannot pin a dead client's session", () => {
    const { server, session, clock } = rpcSetup({ server: { idleTimeoutMs: 5_000 } });
    const owner = new TestPeer(server);
    const ack = owner.bind();
    if (ack?.kind !== 'bind_ack') throw new Error('bind');
    owner.open();
    const pinner = new TestPeer(server); // same address (a second local peer)
    pinner.write(pinner.client.bind(undefined, ack.assocGroup));
    pinner.take();
    owner.connection.closed(); // the client dies; the group lives on through the pinner
    expect(session.state).toBe('Running');
    clock.advance(5_000);
    expect(pinner.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'idle-timeout': 1 });
    expect(session.state).toBe('Stopped'); // run down with the group's last connection
  });
});

describe('LREC RPC server: bad input', () => {
  it('garbage closes the connection and is counted; nothing is answered', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.write(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(peer.closedByServer).toBe(true);
    expect(Object.values(server.stats().dropped).reduce((a, b) => a + b, 0)).toBe(1);
    // Regression: a connection the server dropped itself was never forgotten.
    expect(server.stats().connections).toBe(0);
  });

  it('a lying frag_length (above the limit, or under 16) closes the connection', () => {
    for (const fragLength of [15, 60_000]) {
      const { server } = rpcSetup();
      const peer = new TestPeer(server);
      const bind = peer.client.bind();
      new DataView(bind.buffer).setUint16(8, fragLength, true);
      peer.write(bind);
      expect(peer.closedByServer).toBe(true);
      expect(server.stats().dropped).toEqual({ 'bad-frag-length': 1 });
      expect(peer.connection.bufferedBytes).toBe(0);
    }
  });

  it('a request before a bind faults with nca_s_proto_error and closes', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.write(peer.client.open('Example Session').bytes);
    expect(faultOf(peer).status).toBe(FaultStatus.nca_s_proto_error);
    expect(peer.closedByServer).toBe(true);
  });

  it('server-only PDU types from a client close the connection', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const fake = peer.client.bind();
    fake[2] = 12; // bind_ack
    peer.write(fake);
    expect(peer.closedByServer).toBe(true);
  });

  it('an unread client: every call answers at once or parks one receive, so output per call is bounded', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle } = peer.open();
    let largest = 0;
    const before = peer.sentBytes;
    for (let i = 0; i < 1000; i++) {
      const sent = peer.sentBytes;
      peer.write(peer.client.receive(handle).bytes);
      largest = Math.max(largest, peer.sentBytes - sent);
    }
    // One receive parks; 999 are refused with a 36-byte answer each.
    expect(largest).toBeLessThanOrEqual(36);
    expect(peer.sentBytes - before).toBe(999 * 36);
    expect(peer.connection.bufferedBytes).toBe(0);
  });
});
