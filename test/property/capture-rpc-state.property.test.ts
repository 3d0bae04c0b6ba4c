// The RPC connection state machine under drawn settings and drawn PDUs:
// binds (little- and big-endian, no context, tiny fragments, auth trailers,
// joining groups), alter_context before and after the bind, requests for
// every opnum with good and bad stubs and handles, fragmented requests,
// unknown and server-only PDU types, lying frag_length and auth_length,
// co_cancel/orphaned/auth3, cut at random chunk boundaries, on several
// connections from a few addresses, with clock advances and closes in
// between. Whatever happens: nothing throws; every PDU the server sends
// decodes and answers a call that was sent (a bind_nak only a bind, at most
// one answer per call); a connection the server closed stays silent; the
// books (connections per address, buffers) stay within the drawn limits;
// and when every connection is gone nothing is left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TestPeer, flush, rpcSetup } from '../support/capture-rpc-kit.js';
import { LrecRpcClient, LREC_INTERFACE } from '../../src/capture/index.js';
import { encodeOpenRequest } from '../../src/capture/rpc/ndr.js';
import type { encodeBind } from '../../src/wire/index.js';
import { PacketType, encodeRequest, parsePdu, PduFramer } from '../../src/wire/index.js';

const NDR20 = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };
const NDR64 = { uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 };

const settings = fc.record({
  maxFragLength: fc.constantFrom(1432, 4280, 5840),
  maxRequestBytes: fc.constantFrom(2048, 16_384),
  maxConnections: fc.integer({ min: 1, max: 6 }),
  maxConnectionsPerAddress: fc.integer({ min: 1, max: 4 }),
  bindTimeoutMs: fc.constantFrom(0, 500, 5_000),
  idleTimeoutMs: fc.constantFrom(0, 1_000, 30_000),
  partialPduTimeoutMs: fc.constantFrom(0, 300, 5_000),
  allowUnauthenticated: fc.boolean(),
  clientFrag: fc.constantFrom(1432, 5840),
});

type Kind =
  | 'bind'
  | 'bind-be'
  | 'bind-empty'
  | 'bind-small'
  | 'bind-auth'
  | 'bind-ndr64'
  | 'alter'
  | 'open'
  | 'open-bad'
  | 'receive'
  | 'receive-unknown'
  | 'close'
  | 'opnum'
  | 'fragmented'
  | 'other-type'
  | 'lying-frag'
  | 'lying-auth'
  | 'cancel'
  | 'orphaned'
  | 'auth3';

const good: Kind[] = ['open', 'receive', 'receive', 'close', 'alter', 'bind-ndr64', 'fragmented'];
const bad: Kind[] = [
  'bind',
  'bind-be',
  'bind-empty',
  'bind-small',
  'bind-auth',
  'open-bad',
  'receive-unknown',
  'opnum',
  'other-type',
  'lying-frag',
  'lying-auth',
  'cancel',
  'orphaned',
  'auth3',
];
const pdu = (kinds: Kind[]) =>
  fc.record({
    op: fc.constant('pdu' as const),
    peer: fc.integer({ min: 0, max: 4 }),
    kind: fc.constantFrom(...kinds),
    cut: fc.integer({ min: 0, max: 100 }),
    type: fc.integer({ min: 0, max: 255 }),
  });
const op = fc.oneof(
  { arbitrary: pdu(good), weight: 8 },
  { arbitrary: pdu(bad), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('connect' as const),
      address: fc.constantFrom('a', 'b', 'c'),
      bind: fc.boolean(),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ op: fc.constant('emit' as const), n: fc.integer({ min: 0, max: 80 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('tick' as const),
      ms: fc.integer({ min: 1, max: 6_000 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      peer: fc.integer({ min: 0, max: 4 }),
    }),
    weight: 1,
  },
);

interface Tracked {
  readonly peer: TestPeer;
  /** call_id → PDU type sent with it. */
  readonly sent: Map<number, number>;
  readonly answered: Set<number>;
  handle: Uint8Array;
  bytesSeen: number;
  closedAt: number | undefined;
}

function withAuth(pdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(pdu.length + 24);
  out.set(pdu);
  out.set([10, 6, 0, 0], pdu.length);
  new DataView(out.buffer).setUint16(8, out.length, true);
  new DataView(out.buffer).setUint16(10, 16, true);
  return out;
}

function build(
  t: Tracked,
  kind: Kind,
  type: number,
): { bytes: Uint8Array; callId: number; sentType: number } {
  const client = t.peer.client;
  const bindOf = (
    contexts: Parameters<typeof encodeBind>[0]['contexts'],
    frag = 5840,
    alter = false,
  ) => {
    const bytes = client.bind(contexts);
    const view = new DataView(bytes.buffer);
    if (frag !== 5840) view.setUint16(18, frag, true);
    if (alter) bytes[2] = PacketType.alter_context;
    return { bytes, callId: view.getUint32(12, true), sentType: bytes[2] as number };
  };
  const lrec = [{ id: 0, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR20] }];
  const call = (opnum: number, stub: Uint8Array) => {
    const { bytes, callId } = client.call(opnum, stub);
    return { bytes, callId, sentType: PacketType.request };
  };
  switch (kind) {
    case 'bind':
      return bindOf(lrec);
    case 'bind-be': {
      const b = bindOf(lrec);
      b.bytes[4] = 0;
      const view = new DataView(b.bytes.buffer);
      view.setUint16(8, b.bytes.length, false);
      view.setUint32(12, b.callId, false);
      return b;
    }
    case 'bind-empty':
      return bindOf([]);
    case 'bind-small':
      return bindOf(lrec, 1000);
    case 'bind-auth': {
      const b = bindOf(lrec);
      return { ...b, bytes: withAuth(b.bytes) };
    }
    case 'bind-ndr64':
      return bindOf([
        { id: 1, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR64] },
        { id: 0, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR20] },
      ]);
    case 'alter':
      return bindOf(lrec, 5840, true);
    case 'open':
      return call(0, encodeOpenRequest('Example Session'));
    case 'open-bad':
      return call(0, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f]));
    case 'receive':
      return call(1, t.handle);
    case 'receive-unknown':
      return call(1, new Uint8Array(20).fill(0x42));
    case 'close':
      return call(2, t.handle);
    case 'opnum':
      return call(3 + (type % 5), t.handle);
    case 'fragmented': {
      const callId = client.call(0, new Uint8Array(0)).callId; // a fresh call_id
      const bytes = encodeRequest(
        { callId, contextId: 0, opnum: 0, stub: encodeOpenRequest('x'.repeat(900 + type * 8)) },
        1432,
      );
      return { bytes, callId, sentType: PacketType.request };
    }
    case 'other-type': {
      const bytes = new Uint8Array(24);
      const callId = client.call(0, new Uint8Array(0)).callId;
      bytes.set([5, 0, type, 3, 0x10, 0, 0, 0, 24, 0]);
      new DataView(bytes.buffer).setUint32(12, callId, true);
      return { bytes, callId, sentType: type };
    }
    case 'lying-frag': {
      const c = call(1, t.handle);
      new DataView(c.bytes.buffer).setUint16(8, [12, 20, 60_000, 40][type % 4] as number, true);
      return c;
    }
    case 'lying-auth': {
      const c = call(1, t.handle);
      new DataView(c.bytes.buffer).setUint16(10, 1 + type, true);
      return c;
    }
    case 'cancel':
    case 'orphaned':
    case 'auth3': {
      const ptype = { cancel: 18, orphaned: 19, auth3: 16 }[kind];
      const bytes = new Uint8Array(20);
      const callId = client.call(0, new Uint8Array(0)).callId;
      bytes.set([5, 0, ptype, 3, 0x10, 0, 0, 0, 20, 0]);
      new DataView(bytes.buffer).setUint32(12, callId, true);
      return { bytes, callId, sentType: ptype };
    }
  }
}

/** What the server sent this peer since last time, PDU by PDU (its own framer: independent of the client's). */
function newPdus(t: Tracked, framer: PduFramer) {
  const out = [];
  for (const chunk of t.peer.wire.splice(0)) {
    const framed = framer.push(chunk);
    expect(framed.ok).toBe(true);
    for (const bytes of framed.pdus) {
      const parsed = parsePdu(bytes);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) out.push(parsed.value);
    }
  }
  return out;
}

describe('capture RPC connection state machine (drawn settings)', () => {
  it('never throws, answers only calls that were sent, at most once, with the right PDU kind, and leaves nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(op, { minLength: 1, maxLength: 60 }), async (s, ops) => {
        const { clientFrag, ...server } = s;
        const { server: core, synthetic, clock } = rpcSetup({ server });
        const peers: Tracked[] = [];
        const framers = new Map<Tracked, PduFramer>();
        const connect = (address: string, bind: boolean) => {
          const t: Tracked = {
            peer: new TestPeer(core, new LrecRpcClient({ maxFragLength: clientFrag }), address),
            sent: new Map(),
            answered: new Set(),
            handle: new Uint8Array(20),
            bytesSeen: 0,
            closedAt: undefined,
          };
          peers.push(t);
          framers.set(t, new PduFramer());
          if (bind) {
            const { bytes, callId, sentType } = build(t, 'bind', 0);
            t.sent.set(callId, sentType);
            t.peer.write(bytes);
          }
        };
        connect('a', true);
        for (const step of ops) {
          if (step.op === 'connect') connect(step.address, step.bind);
          else if (step.op === 'emit') synthetic.emit(step.n);
          else if (step.op === 'tick') clock.advance(step.ms);
          else if (step.op === 'drop') peers[step.peer % peers.length]?.peer.connection.closed();
          else {
            const t = peers[step.peer % peers.length] as Tracked;
            const { bytes, callId, sentType } = build(t, step.kind, step.type);
            expect(t.sent.has(callId)).toBe(false);
            t.sent.set(callId, sentType);
            const at = Math.floor((bytes.length * step.cut) / 100);
            t.peer.write(bytes.subarray(0, at));
            t.peer.write(bytes.subarray(at));
          }
          await flush();
          for (const t of peers) {
            const pdus = newPdus(t, framers.get(t) as PduFramer);
            if (t.closedAt !== undefined) expect(pdus).toEqual([]); // silent once closed
            for (const pdu of pdus) {
              const callId = pdu.header.callId;
              const asked = t.sent.get(callId);
              expect(asked, `answer to call ${callId} that was never sent`).toBeDefined();
              if (pdu.kind === 'bind_ack' || pdu.kind === 'bind_nak') expect(asked).toBe(11);
              if (pdu.kind === 'alter_context_resp') expect(asked).toBe(14);
              if (pdu.kind === 'response') expect(asked).toBe(0);
              expect(['bind_ack', 'bind_nak', 'alter_context_resp', 'response', 'fault']).toContain(
                pdu.kind,
              );
              // One answer per call; a response may span fragments of one call.
              const first = pdu.kind !== 'response' || (pdu.header.flags & 1) !== 0;
              if (first) {
                expect(t.answered.has(callId), `second answer to call ${callId}`).toBe(false);
                t.answered.add(callId);
              }
              if (pdu.kind === 'response' && asked === 0 && pdu.stub.length === 24) {
                const handle = pdu.stub.subarray(0, 20);
                if (handle.some((b) => b !== 0)) t.handle = handle.slice();
              }
            }
            if (t.peer.closedByServer && t.closedAt === undefined) t.closedAt = clock.now();
            expect(t.peer.connection.bufferedBytes).toBeLessThanOrEqual(
              s.maxFragLength + s.maxRequestBytes,
            );
          }
          const stats = core.stats();
          expect(stats.connections).toBeLessThanOrEqual(s.maxConnections);
        }
        for (const t of peers) t.peer.connection.closed();
        await flush();
        expect(core.stats()).toMatchObject({ connections: 0, groups: 0, contextHandles: 0 });
      }),
      { numRuns: 250 },
    );
  });
});
