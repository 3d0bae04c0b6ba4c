// Every PDU the server will not take gets an answer on the wire (bind_nak
// for binds, a fault for the rest) or, for what has no answer, a counted
// drop; never a silent close, never a throw (C706 12.6, MS-RPCE 3.3.1.5).
import { describe, expect, it } from 'vitest';
import { TestPeer, rpcSetup } from '../../../test/support/capture-rpc-kit.js';
import { BindNakReason, FaultStatus, PacketType, PfcFlag, encodeBind } from '../../wire/index.js';
import { LREC_INTERFACE } from './server.js';

const NDR20 = { uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', major: 2, minor: 0 };

/** A big-endian (drep 00 00 00 00) copy of a little-endian bind: every integer swapped. */
function bigEndianBind(le: Uint8Array): Uint8Array {
  const be = le.slice();
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(be.buffer);
  be[4] = 0x00; // integers big-endian, ASCII, IEEE
  dst.setUint16(8, src.getUint16(8, true), false); // frag_length
  dst.setUint16(10, src.getUint16(10, true), false);
  dst.setUint32(12, src.getUint32(12, true), false); // call_id
  dst.setUint16(16, src.getUint16(16, true), false);
  dst.setUint16(18, src.getUint16(18, true), false);
  dst.setUint32(20, src.getUint32(20, true), false);
  return be;
}

function withAuth(pdu: Uint8Array, tokenLength = 16): Uint8Array {
  const out = new Uint8Array(pdu.length + 8 + tokenLength);
  out.set(pdu);
  out.set([10, 6, 0, 0], pdu.length); // NTLM, PKT_PRIVACY, no pad
  const view = new DataView(out.buffer);
  view.setUint16(8, out.length, true);
  view.setUint16(10, tokenLength, true);
  return out;
}

function header(type: number, callId: number, body = 8): Uint8Array {
  const out = new Uint8Array(16 + body);
  const view = new DataView(out.buffer);
  out.set([5, 0, type, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, 0x10, 0, 0, 0]);
  view.setUint16(8, out.length, true);
  view.setUint32(12, callId, true);
  return out;
}

describe('LREC RPC server: refusals are answered', () => {
  it('a big-endian bind gets bind_nak user_data_not_readable for its call_id (read big-endian); a LE bind then works', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    const le = peer.client.bind();
    peer.write(bigEndianBind(le));
    const nak = peer.take();
    expect(nak).toEqual({
      kind: 'bind_nak',
      callId: 1,
      reason: BindNakReason.user_data_not_readable,
    });
    expect(peer.closedByServer).toBe(false);
    expect(peer.bind()?.kind).toBe('bind_ack');
    expect(server.stats().bindNaks).toBe(1);
  });

  it('a bind with no presentation context gets bind_nak reason_not_specified (as Windows)', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.write(
      encodeBind({
        kind: 'bind',
        callId: 4,
        maxXmitFrag: 5840,
        maxRecvFrag: 5840,
        assocGroup: 0,
        contexts: [],
      }),
    );
    expect(peer.take()).toEqual({ kind: 'bind_nak', callId: 4, reason: 0 });
    expect(peer.closedByServer).toBe(false);
  });

  it('alter_context before a bind faults nca_s_proto_error, then closes (counted)', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    const alter = peer.client.bind();
    alter[2] = PacketType.alter_context;
    peer.write(alter);
    const fault = peer.take();
    expect(fault?.kind === 'fault' && fault.status).toBe(FaultStatus.nca_s_proto_error);
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'alter-context-before-bind': 1 });
  });

  it('alter_context with an auth trailer faults access denied (alter_context has no nak); with no context, proto_error; the association stays', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const alter = encodeBind({
      kind: 'alter_context',
      callId: 9,
      maxXmitFrag: 100, // ignored in alter_context
      maxRecvFrag: 100,
      assocGroup: 0,
      contexts: [{ id: 1, abstractSyntax: LREC_INTERFACE, transferSyntaxes: [NDR20] }],
    });
    peer.write(withAuth(alter));
    expect(peer.take()).toMatchObject({
      kind: 'fault',
      callId: 9,
      status: FaultStatus.access_denied,
    });
    const empty = encodeBind({
      ...{ kind: 'alter_context', callId: 10 },
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroup: 0,
      contexts: [],
    });
    peer.write(empty);
    expect(peer.take()).toMatchObject({
      kind: 'fault',
      callId: 10,
      status: FaultStatus.nca_s_proto_error,
    });
    peer.write(alter); // small frag sizes are fine here
    expect(peer.take()?.kind).toBe('alter_context_resp');
    expect(peer.closedByServer).toBe(false);
    expect(peer.open().status).toBe(0);
  });

  it.each([
    ['shutdown (server to client only)', PacketType.shutdown],
    ['a connectionless ping', PacketType.ping],
    ['an unknown type 42', 42],
    ['a response', PacketType.response],
  ])('%s from a client faults nca_s_proto_error for its call, then closes', (_label, type) => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    peer.write(header(type, 77));
    expect(peer.take()).toMatchObject({
      kind: 'fault',
      callId: 77,
      status: FaultStatus.nca_s_proto_error,
    });
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'unexpected-pdu': 1 });
  });

  it('auth3 with no authentication under way is counted and ignored', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    peer.write(header(PacketType.auth3, 5));
    expect(peer.answers).toEqual([]);
    expect(peer.closedByServer).toBe(false);
    expect(server.stats().dropped).toEqual({ 'unexpected-auth3': 1 });
    expect(peer.open().status).toBe(0);
  });

  it.each([
    ['frag_length under 16', 12, 'bad-frag-length'],
    ['frag_length over the limit', 6000, 'bad-frag-length'],
    ['frag_length too short for a request body', 20, 'truncated'],
  ])('%s: a fault for the call, then close', (_label, fragLength, code) => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const request = peer.client.receive(new Uint8Array(20)).bytes;
    new DataView(request.buffer).setUint16(8, fragLength, true);
    peer.write(request);
    expect(peer.take()).toMatchObject({ kind: 'fault', status: FaultStatus.nca_s_proto_error });
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ [code]: 1 });
  });

  it('auth_length that does not fit, and a request with an auth trailer: faulted', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const { handle } = peer.open();
    const request = withAuth(peer.client.receive(handle).bytes);
    peer.write(request); // well-formed, but netrx supports no authentication
    expect(peer.take()).toMatchObject({ kind: 'fault', status: FaultStatus.nca_s_proto_error });
    expect(peer.closedByServer).toBe(false);
    const lying = peer.client.receive(handle).bytes;
    new DataView(lying.buffer).setUint16(10, 500, true);
    peer.write(lying);
    expect(peer.take()).toMatchObject({ kind: 'fault', status: FaultStatus.nca_s_proto_error });
    expect(peer.closedByServer).toBe(true);
    expect(server.stats().dropped).toEqual({ 'bad-auth-length': 1 });
  });

  it('a big-endian request after a little-endian bind: fault, close', () => {
    const { server } = rpcSetup();
    const peer = new TestPeer(server);
    peer.bind();
    const request = peer.client.open('Example Session').bytes;
    request[4] = 0;
    const length = request.length;
    new DataView(request.buffer).setUint16(8, length, false);
    peer.write(request);
    expect(peer.take()?.kind).toBe('fault');
    expect(server.stats().dropped).toEqual({ 'unsupported-drep': 1 });
  });
});
