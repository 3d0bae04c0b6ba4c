// Connection limits and deadlines of the RPC server core, on the virtual
// clock: a bind deadline, an idle timeout that spares connections with a
// session or a parked receive, a partial-PDU deadline that more bytes do not
// extend (slowloris), and per-address and total caps. Each close and refusal
// is counted and traced.
import { describe, expect, it } from 'vitest';
import { TestPeer, rpcSetup } from '../../../test/support/capture-rpc-kit.js';
import { encodeRequest } from '../../wire/index.js';
import type { TraceEvent } from '../../trace/index.js';
import { encodeOpenRequest } from './ndr.js';
import { CAPTURE_RPC_PROVIDER } from './events.js';

const LIMITS = { bindTimeoutMs: 1_000, idleTimeoutMs: 5_000, partialPduTimeoutMs: 2_000 };

function traced(registry: ReturnType<typeof rpcSetup>['registry']): string[] {
  const seen: string[] = [];
  registry.enable(CAPTURE_RPC_PROVIDER.name, (event: TraceEvent) =>
    seen.push(event.descriptor.name),
  );
  return seen;
}

describe('LREC RPC server: deadlines', () => {
  it('a connection that never binds is closed at the bind deadline, counted and traced', () => {
    const { server, clock, registry } = rpcSetup({ server: LIMITS });
    const events = traced(registry);
    const peer = new TestPeer(server);
    clock.advance(999);
    expect(peer.closedByServer).toBe(false);
    clock.advance(1);
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'bind-timeout': 1 });
    expect(server.stats().connections).toBe(0);
    expect(events).toEqual(['ConnectionDropped']);
  });

  it('a bind_nak does not meet the bind deadline; a bind_ack does', () => {
    const { server, clock } = rpcSetup({ server: { ...LIMITS, idleTimeoutMs: 0 } });
    const naked = new TestPeer(server);
    const small = naked.client.bind();
    new DataView(small.buffer).setUint16(18, 1000, true); // max_recv_frag under 1432
    naked.write(small);
    expect(naked.take()?.kind).toBe('bind_nak');
    const bound = new TestPeer(server);
    expect(bound.bind()?.kind).toBe('bind_ack');
    clock.advance(60_000);
    expect(naked.closedByServer).toBe(true);
    expect(bound.closedByServer).toBe(false);
  });

  it('a bound connection with no session and nothing parked is closed when idle; traffic defers it', () => {
    const { server, clock } = rpcSetup({ server: LIMITS });
    const peer = new TestPeer(server);
    peer.bind();
    clock.advance(4_000);
    peer.open('No Such Session'); // activity, and still no session
    clock.advance(4_000);
    expect(peer.closedByServer).toBe(false);
    clock.advance(1_000);
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'idle-timeout': 1 });
  });

  it('a connection with a parked RpcNetEventReceiveData is not idle', () => {
    const { server, clock, session } = rpcSetup({ server: LIMITS });
    const parked = new TestPeer(server);
    parked.bind();
    const { handle } = parked.open();
    parked.write(parked.client.receive(handle).bytes); // no events: waits (an idle session)
    clock.advance(60_000);
    expect(parked.closedByServer).toBe(false);
    expect(session.state).toBe('Running');
    expect(server.stats().dropped).toEqual({});
  });

  it('a connection holding a session it opened, with nothing parked, is not idle (M21)', () => {
    const { server, clock, session } = rpcSetup({ server: LIMITS });
    const holder = new TestPeer(server);
    holder.bind();
    const { handle } = holder.open(); // a session, and no receive posted
    clock.advance(60_000);
    expect(holder.closedByServer).toBe(false);
    expect(session.state).toBe('Running');
    expect(server.stats().dropped).toEqual({});
    // Closing the handle ends the exemption: idle from the Close on.
    holder.write(holder.client.close(handle).bytes);
    clock.advance(LIMITS.idleTimeoutMs);
    expect(holder.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'idle-timeout': 1 });
  });

  it('a partial PDU must complete within its deadline: a byte at a time does not extend it (slowloris)', () => {
    const { server, clock } = rpcSetup({ server: { ...LIMITS, bindTimeoutMs: 0 } });
    const peer = new TestPeer(server);
    const bind = peer.client.bind();
    for (let i = 0; i < bind.length - 1 && !peer.closedByServer; i++) {
      peer.write(bind.subarray(i, i + 1));
      clock.advance(100);
    }
    expect(peer.closedByServer).toBe(true);
    expect(clock.now() - 1_700_000_000_000).toBe(2_000);
    expect(server.stats().dropped).toEqual({ 'partial-pdu-timeout': 1 });
  });

  it('complete PDUs restart the partial deadline; a fragmented request must end within it from its first fragment', () => {
    const { server, clock, table } = rpcSetup({
      server: { ...LIMITS, bindTimeoutMs: 0, idleTimeoutMs: 0 },
    });
    table
      .createSession({ name: 'L'.repeat(1000), providers: [{ provider: 'netrx-synthetic' }] })
      .start();
    const peer = new TestPeer(server);
    // Chunks that each complete a PDU and start the next: 3 s in all, never 2 s on one PDU.
    const bind = peer.client.bind();
    const open = peer.client.open('No Such Session').bytes;
    peer.write(bind.subarray(0, 20));
    clock.advance(1_500);
    peer.write(new Uint8Array([...bind.subarray(20), ...open.subarray(0, 20)]));
    clock.advance(1_500);
    peer.write(open.subarray(20));
    expect(peer.closedByServer).toBe(false);
    expect(peer.answers.map((a) => a.kind)).toEqual(['bind_ack', 'response']);
    peer.answers.length = 0;
    const fragments = encodeRequest(
      { callId: 7, contextId: 0, opnum: 0, stub: encodeOpenRequest('L'.repeat(1000)) },
      1432,
    );
    // Every fragment whole, but one each 800 ms: the call is not complete by 2 s.
    let at = 0;
    while (at < fragments.length && !peer.closedByServer) {
      const length = new DataView(fragments.buffer, at + 8, 2).getUint16(0, true);
      peer.write(fragments.subarray(at, at + length));
      at += length;
      if (at < fragments.length) clock.advance(800);
    }
    expect(at).toBe(fragments.length); // the last one came at 1.6 s: in time
    expect(peer.take()?.kind).toBe('response');
    const slow = encodeRequest(
      { callId: 8, contextId: 0, opnum: 0, stub: encodeOpenRequest('L'.repeat(1000)) },
      1432,
    );
    peer.write(slow.subarray(0, 1432));
    clock.advance(2_000);
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'partial-pdu-timeout': 1 });
  });

  it('a fragmented request that starts in the chunk where another ends gets its own deadline', () => {
    const { server, clock, table } = rpcSetup({
      server: { ...LIMITS, bindTimeoutMs: 0, idleTimeoutMs: 0 },
    });
    table
      .createSession({ name: 'L'.repeat(1000), providers: [{ provider: 'netrx-synthetic' }] })
      .start();
    const peer = new TestPeer(server);
    peer.bind();
    const request = (callId: number) =>
      encodeRequest(
        { callId, contextId: 0, opnum: 0, stub: encodeOpenRequest('L'.repeat(1000)) },
        1432,
      );
    const a = request(20);
    const b = request(21);
    expect(a.length).toBeGreaterThan(1432); // two fragments each
    peer.write(a.subarray(0, 1432));
    clock.advance(1_500);
    peer.write(new Uint8Array([...a.subarray(1432), ...b.subarray(0, 1432)]));
    clock.advance(1_000); // 2.5 s after A began, 1 s after B began
    expect(peer.closedByServer).toBe(false);
    peer.write(b.subarray(1432));
    expect(peer.answers.map((x) => x.kind === 'response' && x.callId)).toEqual([20, 21]);
  });

  it('0 turns each deadline off', () => {
    const { server, clock } = rpcSetup({
      server: { bindTimeoutMs: 0, idleTimeoutMs: 0, partialPduTimeoutMs: 0 },
    });
    const peer = new TestPeer(server);
    peer.write(peer.client.bind().subarray(0, 5));
    clock.advance(10 * 60_000);
    expect(peer.closedByServer).toBe(false);
  });
});

describe('LREC RPC server: connection caps', () => {
  it('one source address cannot take every slot; others still get in; a closed one frees its slot', () => {
    const { server, registry } = rpcSetup({
      server: { maxConnections: 4, maxConnectionsPerAddress: 2 },
    });
    const events = traced(registry);
    const a1 = new TestPeer(server, undefined, '10.0.0.1');
    const a2 = new TestPeer(server, undefined, '::ffff:10.0.0.1'); // the same peer, IPv4-mapped
    const a3 = new TestPeer(server, undefined, '10.0.0.1');
    expect([a1.closedByServer, a2.closedByServer, a3.closedByServer]).toEqual([false, false, true]);
    expect(a3.connection.refused).toBe('address-limit');
    const b = new TestPeer(server, undefined, '10.0.0.2');
    expect(b.bind()?.kind).toBe('bind_ack');
    a1.connection.closed();
    expect(new TestPeer(server, undefined, '10.0.0.1').closedByServer).toBe(false);
    expect(server.stats().refused).toEqual({ 'address-limit': 1 });
    expect(events).toEqual(['ConnectionRefused']);
  });

  it('past maxConnections every new connection is refused and counted, whatever its address', () => {
    const { server } = rpcSetup({ server: { maxConnections: 3, maxConnectionsPerAddress: 3 } });
    const peers = ['a', 'b', 'c', 'd', 'e'].map((a) => new TestPeer(server, undefined, a));
    expect(peers.map((p) => p.closedByServer)).toEqual([false, false, false, true, true]);
    expect(server.stats()).toMatchObject({ connections: 3, refused: { 'connection-limit': 2 } });
    // A refused connection ignores bytes and never reaches the server's books.
    peers[4]?.write(peers[4].client.bind());
    expect(peers[4]?.answers).toEqual([]);
    peers[4]?.connection.closed();
    expect(server.stats().connections).toBe(3);
  });

  it('rejects nonsense limits', () => {
    expect(() => rpcSetup({ server: { maxConnectionsPerAddress: 0 } })).toThrow(RangeError);
    expect(() => rpcSetup({ server: { idleTimeoutMs: -1 } })).toThrow(RangeError);
  });
});
