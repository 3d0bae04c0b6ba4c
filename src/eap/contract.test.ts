import { describe, expect, it, vi } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { TraceRegistry, type TraceEvent } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { EapCode, EapType, encodeEap, parseEap, type EapPacket } from '../wire/eap.js';
import {
  AuthAttributeType,
  EAP_PROVIDER,
  EapAction,
  EapActionNumber,
  EapAuthenticator,
  EapMethodFlag,
  EapPeer,
  EapResultCode,
  RasEapFlag,
  SENDING_ACTIONS,
  createMd5Method,
  encodeVendorSpecific,
  invalidPacket,
  mppeKeyAttributes,
  mppeKeyPlaintext,
  type AuthenticationProvider,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
  type EapSessionResult,
} from './index.js';

/** A method whose answers the test scripts; it records every call. */
function scripted(
  answer: (
    call: number,
    received: EapPacket | null,
    input: EapInput | undefined,
  ) => EapMakeMessageResult,
  type = 200,
) {
  const calls: { received: EapPacket | null; sendCapacity: number; input: EapInput | undefined }[] =
    [];
  const ended: unknown[] = [];
  const begun: EapInput[] = [];
  const method: EapMethod<{ id: number }> = {
    info: {
      type,
      name: `scripted-${type}`,
      flags: EapMethodFlag.Peer | EapMethodFlag.Authenticator,
    },
    begin(input) {
      begun.push(input);
      return { id: input.initialId ?? 0 };
    },
    end(ws) {
      ended.push(ws);
    },
    makeMessage(_ws, received, sendCapacity, input) {
      calls.push({ received, sendCapacity, input });
      return answer(calls.length, received, input);
    },
  };
  return { method, calls, ended, begun };
}

const request = (identifier: number, type = 200, data = new Uint8Array(0)): EapPacket => ({
  code: EapCode.Request,
  identifier,
  type,
  typeData: data,
});
const response = (identifier: number, type = 200, data = new Uint8Array(0)) =>
  encodeEap({ code: EapCode.Response, identifier, type, typeData: data });
const identityResponse = (identifier: number, name = 'bob') =>
  response(identifier, EapType.Identity, new TextEncoder().encode(name));

function authenticator(
  method: EapMethod,
  extra: Partial<ConstructorParameters<typeof EapAuthenticator>[0]> = {},
) {
  const clock = new VirtualClock();
  const sent: Uint8Array[] = [];
  const views: Uint8Array[] = [];
  const results: EapSessionResult[] = [];
  const auth = new EapAuthenticator({
    clock,
    methods: [method],
    initialIdentifier: 10,
    send: (bytes) => {
      views.push(bytes);
      sent.push(bytes.slice());
    },
    onResult: (r) => results.push(r),
    ...extra,
  });
  auth.start();
  return { clock, auth, sent, views, results };
}

describe('the RAS method contract (seed 001)', () => {
  it('names all nine PPP_EAP_ACTION values with raseapif.h numbers', () => {
    expect(Object.values(EapAction)).toEqual([
      'none',
      'authenticate',
      'done',
      'send-and-done',
      'send',
      'send-with-timeout',
      'send-with-timeout-interactive',
      'indicate-tlv',
      'indicate-identity',
    ]);
    expect(Object.values(EapAction).map((a) => EapActionNumber[a])).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect([...SENDING_ACTIONS].sort()).toEqual([
      'send',
      'send-and-done',
      'send-with-timeout',
      'send-with-timeout-interactive',
    ]);
    expect(RasEapFlag.NonInteractive).toBe(2);
    expect(RasEapFlag.Auth8021x).toBe(0x80);
    expect(RasEapFlag.PreLogon).toBe(0x20000);
    expect(EapResultCode.ERROR_PPP_INVALID_PACKET).toBe(722);
  });

  it('a null packet starts the dialogue, and after a timeout the method resends its last packet (same Identifier)', () => {
    const md5 = createMd5Method({ crypto: nodeCrypto });
    const { clock, auth, sent } = authenticator(md5);
    auth.receive(identityResponse(10));
    expect(sent).toHaveLength(2);
    const challenge = parseEap(sent[1]!);
    expect(challenge).toMatchObject({
      ok: true,
      value: { code: EapCode.Request, identifier: 11, type: 4 },
    });
    clock.advance(3000);
    expect(sent).toHaveLength(3);
    expect(toHex(sent[2]!)).toBe(toHex(sent[1]!));
    // And at the contract level, without the framework: start, then resend.
    const ws = md5.begin({ authenticator: true, identity: 'bob', initialId: 7 });
    const first = md5.makeMessage(ws, null, 1020);
    const again = md5.makeMessage(ws, null, 1020);
    expect(first).toMatchObject({ action: 'send-with-timeout', packet: { identifier: 7 } });
    expect(again).toEqual(first);
  });

  it('ERROR_PPP_INVALID_PACKET (722) discards the packet silently and the session goes on', () => {
    const s = scripted((call, received) => {
      if (received === null) return { action: 'send-with-timeout', packet: request(11) };
      if (call === 2) return invalidPacket('not this one');
      return {
        action: 'send-and-done',
        packet: { code: EapCode.Success, identifier: 11 },
        authResultCode: 0,
      };
    });
    const { auth, sent, results } = authenticator(s.method);
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(results).toEqual([]);
    expect(sent).toHaveLength(2); // nothing sent for the discarded packet
    expect(auth.stats().dropped).toEqual({ 'method:not this one': 1 });
    expect(auth.outstandingIdentifier).toBe(11); // the Request is still outstanding
    auth.receive(response(11));
    expect(results).toMatchObject([{ outcome: 'success', resultCode: 0 }]);
    expect(toHex(sent[2]!)).toBe('030b0004');
    expect(s.ended).toHaveLength(1);
  });

  it('any other error ends the session with that number; end() is called once; a Failure answers the Response', () => {
    const s = scripted((_call, received) =>
      received === null
        ? { action: 'send-with-timeout', packet: request(11) }
        : { error: EapResultCode.ERROR_NO_DIALIN_PERMISSION },
    );
    const { auth, sent, results } = authenticator(s.method);
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(results).toMatchObject([{ outcome: 'error', resultCode: 649 }]);
    expect(toHex(sent.at(-1)!)).toBe('040b0004');
    expect(s.ended).toHaveLength(1);
    auth.receive(response(11));
    expect(s.calls).toHaveLength(2);
    expect(auth.stats().dropped['session-ended']).toBe(1);
  });

  it('the same rules hold on the peer side: 722 discards, another error ends the session', () => {
    const sent: Uint8Array[] = [];
    const results: EapSessionResult[] = [];
    const s = scripted((call) =>
      call === 1
        ? invalidPacket('later')
        : call === 2
          ? {
              action: 'send',
              packet: {
                code: EapCode.Response,
                identifier: 5,
                type: 200,
                typeData: new Uint8Array(0),
              },
            }
          : { error: 647 },
    );
    const peer = new EapPeer({
      methods: [s.method],
      identity: 'bob',
      send: (b) => sent.push(b.slice()),
      onResult: (r) => results.push(r),
    });
    peer.receive(encodeEap(request(4)));
    expect(sent).toEqual([]);
    expect(peer.state).toBe('IDLE');
    peer.receive(encodeEap(request(5)));
    expect(sent.map((b) => toHex(b))).toEqual(['02050005c8']);
    peer.receive(encodeEap(request(6)));
    expect(results).toMatchObject([{ outcome: 'error', resultCode: 647 }]);
    expect(s.ended).toHaveLength(1);
  });

  it('a method that throws ends the session with ERROR_AUTH_INTERNAL (645), or its coded number', () => {
    const s = scripted((_c, received) => {
      if (received === null) return { action: 'send-with-timeout', packet: request(11) };
      throw new Error('boom');
    });
    const { auth, results } = authenticator(s.method);
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(results).toMatchObject([
      { outcome: 'error', resultCode: 645, reason: 'method threw: boom' },
    ]);
  });

  it('the framework owns the send buffer: capacity is passed in, an oversized packet ends the session, sends are views of one buffer', () => {
    const s = scripted((call) =>
      call === 1
        ? { action: 'send-with-timeout', packet: request(11, 200, new Uint8Array(20)) }
        : { action: 'send-with-timeout', packet: request(12, 200, new Uint8Array(64)) },
    );
    const { auth, views, results } = authenticator(s.method, {
      sendCapacity: 40,
    });
    auth.receive(identityResponse(10));
    expect(s.calls[0]!.sendCapacity).toBe(40);
    expect(views[1]!.buffer).toBe(views[0]!.buffer);
    auth.receive(response(11));
    expect(results).toMatchObject([{ outcome: 'error', resultCode: 645 }]);
    expect(results[0]!.reason).toContain('exceeds the send capacity of 40');
  });

  it('a send action without a packet, or a Success sent with plain send, is the method’s bug and ends the session', () => {
    const noPacket = scripted(() => ({ action: 'send-with-timeout' }));
    const a = authenticator(noPacket.method);
    a.auth.receive(identityResponse(10));
    expect(a.results[0]?.reason).toBe('action send-with-timeout without a packet');
    const wrongCode = scripted(() => ({
      action: 'send',
      packet: { code: EapCode.Success, identifier: 10 },
    }));
    const b = authenticator(wrongCode.method);
    b.auth.receive(identityResponse(10));
    expect(b.results[0]).toMatchObject({ outcome: 'error', resultCode: 645 });
  });

  it('the framework owns timers and retry counts: the method only sees null packets, and the Identifier stays the same', () => {
    const s = scripted(() => ({ action: 'send-with-timeout', packet: request(11) }));
    const { clock, auth, sent, results } = authenticator(s.method, {
      retransmit: { initialTimeoutMs: 100, maxTimeoutMs: 300, maxRetransmissions: 3 },
    });
    auth.receive(identityResponse(10));
    const times: number[] = [];
    const before = sent.length;
    for (let i = 0; i < 10 && results.length === 0; i++) {
      clock.runNext();
      times.push(clock.now());
    }
    expect(sent.length - before).toBe(3);
    expect(sent.slice(before).map((b) => b[1])).toEqual([11, 11, 11]);
    // 100, then doubling to the 300 cap; the fourth expiry fails the session.
    expect(times).toEqual([100, 300, 600, 900]);
    expect(results).toMatchObject([{ outcome: 'timeout', resultCode: 638 }]);
    expect(s.calls.slice(1).every((c) => c.received === null)).toBe(true);
    expect(auth.stats().retransmissions).toBe(3);
  });

  it('send-with-timeout-interactive does not count retries; plain send arms no timer', () => {
    const interactive = scripted(() => ({
      action: 'send-with-timeout-interactive',
      packet: request(11),
    }));
    const a = authenticator(interactive.method, {
      retransmit: { initialTimeoutMs: 10, maxTimeoutMs: 10, maxRetransmissions: 1 },
    });
    a.auth.receive(identityResponse(10));
    a.clock.advance(1000);
    expect(a.results).toEqual([]);
    expect(a.auth.stats().retransmissions).toBe(100);
    const plain = scripted(() => ({ action: 'send', packet: request(11) }));
    const b = authenticator(plain.method);
    b.auth.receive(identityResponse(10));
    const pending = b.clock.pendingTimers;
    b.clock.advance(100_000);
    expect(pending).toBe(0);
    expect(b.sent).toHaveLength(2);
  });

  it('the method owns identifiers: initialId comes from the framework, a reused one for a new Request ends the session', () => {
    const s = scripted((call) =>
      call === 1
        ? { action: 'send-with-timeout', packet: request(42) }
        : { action: 'send-with-timeout', packet: request(42) },
    );
    const { auth, sent, results } = authenticator(s.method);
    auth.receive(identityResponse(10));
    expect(s.begun[0]).toMatchObject({ authenticator: true, identity: 'bob', initialId: 11 });
    expect(sent[1]![1]).toBe(42); // the method chose 42, and the framework sent it as is
    auth.receive(response(42));
    expect(results[0]?.reason).toContain('reused Identifier 42');
  });

  it('the framework makes the provider call behind authenticate, synchronously or later, and hands the result back', () => {
    let later: ((r: { resultCode: number }) => void) | undefined;
    const provider: AuthenticationProvider = {
      authenticate: vi.fn<AuthenticationProvider['authenticate']>((_request, complete) => {
        later = complete;
      }),
    };
    const s = scripted((call, received, input) => {
      if (received === null && input === undefined)
        return { action: 'send-with-timeout', packet: request(11) };
      if (received !== null)
        return {
          action: 'authenticate',
          userAttributes: [{ type: AuthAttributeType.UserPassword, value: fromHex('61') }],
        };
      return input?.authResultCode === 0
        ? {
            action: 'send-and-done',
            packet: { code: EapCode.Success, identifier: 11 },
            authResultCode: 0,
            userAttributes: mppeKeyAttributes({
              sendKey: new Uint8Array(32).fill(1),
              recvKey: new Uint8Array(32).fill(2),
            }),
          }
        : { action: 'none' };
    });
    const { auth, sent, results } = authenticator(s.method, { provider });
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(provider.authenticate).toHaveBeenCalledTimes(1);
    expect(vi.mocked(provider.authenticate).mock.calls[0]![0]).toMatchObject({
      identity: 'bob',
      attributes: [{ type: 2, value: fromHex('61') }],
    });
    expect(results).toEqual([]);
    auth.receive(response(11)); // a duplicate while the provider works: dropped
    expect(auth.stats().dropped['busy']).toBe(1);
    later!({ resultCode: 0 });
    later!({ resultCode: 0 }); // a second completion is ignored
    expect(s.calls[2]!.input).toMatchObject({ authenticationComplete: true, authResultCode: 0 });
    expect(results).toMatchObject([{ outcome: 'success' }]);
    expect(results[0]!.attributes.map((a) => 'vendorId' in a && a.vendorType)).toEqual([16, 17]);
    expect(toHex(sent.at(-1)!)).toBe('030b0004');
  });

  it('authenticate without a provider ends the session', () => {
    const s = scripted((_c, received) =>
      received === null
        ? { action: 'send-with-timeout', packet: request(11) }
        : { action: 'authenticate' },
    );
    const { auth, results } = authenticator(s.method);
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(results[0]?.reason).toBe(
      'authenticate action but no authentication provider is configured',
    );
  });

  it('done ends without sending; none and the reserved indicate actions send nothing and keep the session', () => {
    for (const action of ['none', 'indicate-tlv', 'indicate-identity'] as const) {
      const s = scripted((call) =>
        call === 1 ? { action: 'send-with-timeout', packet: request(11) } : { action },
      );
      const { auth, sent, results } = authenticator(s.method);
      auth.receive(identityResponse(10));
      auth.receive(response(11));
      expect(results).toEqual([]);
      expect(sent).toHaveLength(2);
      expect(auth.result).toBeUndefined();
    }
    const done = scripted((call) =>
      call === 1
        ? { action: 'send-with-timeout', packet: request(11) }
        : { action: 'done', authResultCode: 691 },
    );
    const { auth, sent, results } = authenticator(done.method);
    auth.receive(identityResponse(10));
    auth.receive(response(11));
    expect(results).toMatchObject([{ outcome: 'failure', resultCode: 691 }]);
    expect(sent).toHaveLength(2);
  });

  it('writes state transitions, method results and the session end to netrx-eap', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const events: string[] = [];
    registry.enable(EAP_PROVIDER.name, (e: TraceEvent) => events.push(e.descriptor.name));
    const md5 = createMd5Method({ crypto: nodeCrypto });
    const { auth } = authenticator(md5, { trace: registry });
    auth.receive(identityResponse(10));
    auth.receive(new Uint8Array(2));
    auth.abort();
    expect(events).toContain('EapStateChanged');
    expect(events).toContain('EapMethodResult');
    expect(events).toContain('EapPacketDropped');
    expect(events.at(-1)).toBe('EapSessionEnded');
  });
});

describe('user attributes (RAS_AUTH_ATTRIBUTE)', () => {
  it('MS-MPPE keys are vendor 311 types 16 (send) and 17 (recv), copied', () => {
    const sendKey = new Uint8Array(32).fill(0xaa);
    const recvKey = new Uint8Array(32).fill(0xbb);
    const [send, recv] = mppeKeyAttributes({ sendKey, recvKey });
    expect(send).toMatchObject({ type: 26, vendorId: 311, vendorType: 16 });
    expect(recv).toMatchObject({ type: 26, vendorId: 311, vendorType: 17 });
    sendKey.fill(0);
    expect(send!.value[0]).toBe(0xaa);
    expect(() => mppeKeyAttributes({ sendKey: new Uint8Array(0), recvKey })).toThrow(RangeError);
    expect(() => mppeKeyAttributes({ sendKey: new Uint8Array(240), recvKey })).toThrow(RangeError);
  });

  it('encodes the RFC 2865 §5.26 Vendor-Specific value and the RFC 2548 key plaintext', () => {
    const attribute = { type: 26 as const, vendorId: 311, vendorType: 16, value: fromHex('0102') };
    expect(toHex(encodeVendorSpecific(attribute))).toBe('00000137' + '10' + '04' + '0102');
    expect(toHex(mppeKeyPlaintext(fromHex('0102')))).toBe('020102' + '00'.repeat(13));
    expect(mppeKeyPlaintext(new Uint8Array(32)).length).toBe(48);
    expect(() => encodeVendorSpecific({ ...attribute, value: new Uint8Array(248) })).toThrow(
      RangeError,
    );
  });
});
