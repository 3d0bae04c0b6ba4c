import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { VirtualClock, createEapPair } from '../testing/index.js';
import { EXPANDED_NAK, EapCode, EapType, encodeEap, expandedNakTypeData } from '../wire/eap.js';
import {
  EapAuthenticator,
  EapPeer,
  EapMethodFlag,
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
  type EapMethod,
  type EapSessionResult,
} from './index.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const provider = new LocalAuthenticationProvider({
  users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
  crypto: nodeCrypto,
});

/** A do-nothing authenticator method of `type` that sends one Request. */
function oneRequest(type: number, expanded?: { vendorId: number; vendorType: number }): EapMethod {
  return {
    info: {
      type,
      ...(expanded ? { expanded } : {}),
      name: `m${type}`,
      flags: EapMethodFlag.Authenticator,
    },
    begin: (input) => input.initialId,
    end: () => {},
    makeMessage: (id: number) => ({
      action: 'send-with-timeout',
      packet: {
        code: EapCode.Request,
        identifier: id,
        type,
        ...(expanded ? { expanded } : {}),
        typeData: new Uint8Array(0),
      },
    }),
  };
}

function authenticator(methods: EapMethod[], initialIdentifier = 255) {
  const clock = new VirtualClock();
  const sent: string[] = [];
  const results: EapSessionResult[] = [];
  const auth = new EapAuthenticator({
    clock,
    methods,
    provider,
    initialIdentifier,
    send: (b) => sent.push(toHex(b)),
    onResult: (r) => results.push(r),
  });
  auth.start();
  return { clock, auth, sent, results };
}

const resp = (id: number, type: number, data = '') =>
  encodeEap({ code: EapCode.Response, identifier: id, type, typeData: fromHex(data) });
const identity = (id: number) => resp(id, 1, '626f62');

describe('EapAuthenticator (RFC 4137 §5, standalone)', () => {
  it('starts with Request/Identity and wraps Identifiers at 255', () => {
    const { auth, sent } = authenticator([oneRequest(200)]);
    expect(sent).toEqual(['01ff000501']);
    auth.receive(identity(255));
    expect(auth.identity).toBe('bob');
    expect(sent[1]).toBe('01000005c8');
  });

  it('follows a Nak to the next method in policy order the peer accepts', () => {
    const { auth, sent } = authenticator([oneRequest(200), oneRequest(201), oneRequest(202)], 1);
    auth.receive(identity(1));
    expect(sent[1]).toBe('01020005c8');
    auth.receive(resp(2, EapType.Nak, 'ca04'));
    expect(sent[2]).toBe('01030005ca');
    expect(auth.stats().naksReceived).toBe(1);
  });

  it('fails with a Failure (last Response’s Identifier) when the Nak names nothing acceptable or says 0', () => {
    for (const nak of ['00', '0d19']) {
      const { auth, sent, results } = authenticator([oneRequest(200)], 1);
      auth.receive(identity(1));
      auth.receive(resp(2, EapType.Nak, nak));
      expect(sent.at(-1)).toBe('04020004');
      expect(results).toMatchObject([
        { outcome: 'failure', resultCode: 691, reason: 'no method the peer accepts' },
      ]);
    }
  });

  it('follows an Expanded Nak, to legacy types (vendor 0) and to expanded ones', () => {
    const vendor = { vendorId: 0x9f, vendorType: 7 };
    const { auth, sent } = authenticator(
      [oneRequest(200), oneRequest(254, vendor), oneRequest(201)],
      1,
    );
    auth.receive(identity(1));
    const expandedNak = (id: number, list: { vendorId: number; vendorType: number }[]) =>
      encodeEap({
        code: EapCode.Response,
        identifier: id,
        type: 254,
        expanded: EXPANDED_NAK,
        typeData: expandedNakTypeData(list),
      });
    auth.receive(expandedNak(2, [vendor]));
    expect(sent[2]).toBe('0103000cfe00009f00000007');
    auth.receive(expandedNak(3, [{ vendorId: 0, vendorType: 201 }]));
    expect(sent[3]).toBe('01040005c9');
    auth.receive(
      encodeEap({
        code: EapCode.Response,
        identifier: 4,
        type: 254,
        expanded: EXPANDED_NAK,
        typeData: fromHex('fe000000'),
      }),
    );
    expect(auth.stats().dropped).toEqual({ 'malformed:bad-expanded-nak': 1 });
  });

  it('runs the Nak round against a real peer: MD5 after a method the peer lacks', () => {
    const clock = new VirtualClock();
    let result: EapSessionResult | undefined;
    const pair = createEapPair({
      clock,
      peer: { methods: [md5], identity: 'bob', password: 'hello' },
      authenticator: { methods: [oneRequest(26), md5], provider, onResult: (r) => (result = r) },
    });
    pair.authenticator.start();
    pair.flush();
    expect(result).toMatchObject({ outcome: 'success', method: 'MD5-Challenge' });
    expect(pair.peer.stats().naksSent).toBe(1);
  });

  it('discards Responses with another Identifier, Requests, and answers to nothing', () => {
    const { auth, results } = authenticator([md5], 1);
    auth.receive(identity(9));
    auth.receive(
      encodeEap({ code: EapCode.Request, identifier: 1, type: 1, typeData: new Uint8Array(0) }),
    );
    auth.receive(encodeEap({ code: EapCode.Success, identifier: 1 }));
    auth.receive(resp(1, EapType.Nak, '04'));
    expect(auth.stats().dropped).toEqual({
      'wrong-identifier': 1,
      'not-a-response': 2,
      'unexpected-type': 1,
    });
    auth.receive(identity(1));
    auth.receive(identity(1));
    expect(auth.stats().dropped['wrong-identifier']).toBe(2);
    expect(results).toEqual([]);
  });

  it('a Response that answers the outstanding Request stops its retransmission', () => {
    const { clock, auth, sent } = authenticator([oneRequest(200)], 1);
    clock.advance(2999);
    auth.receive(identity(1));
    clock.advance(2999);
    expect(sent).toHaveLength(2);
    clock.advance(1);
    expect(sent).toEqual(['0101000501', '01020005c8', '01020005c8']);
  });

  it('bounds a method that never ends at maxRounds', () => {
    let n = 0;
    const endless: EapMethod = {
      info: { type: 200, name: 'endless', flags: EapMethodFlag.Authenticator },
      begin: () => undefined,
      end: () => {},
      makeMessage: () => ({
        action: 'send-with-timeout',
        packet: {
          code: EapCode.Request,
          identifier: (n = (n + 1) & 0xff),
          type: 200,
          typeData: new Uint8Array(0),
        },
      }),
    };
    const results: EapSessionResult[] = [];
    const auth = new EapAuthenticator({
      clock: new VirtualClock(),
      methods: [endless],
      maxRounds: 3,
      send: () => {},
      onResult: (r) => results.push(r),
    });
    auth.start();
    auth.receive(identity(0));
    for (let i = 1; i <= 3; i++) auth.receive(resp(i, 200));
    expect(results).toMatchObject([{ outcome: 'failure', reason: 'more than 3 rounds' }]);
  });

  it('refuses bad settings and a second start', () => {
    const clock = new VirtualClock();
    const send = () => {};
    expect(
      () => new EapAuthenticator({ clock, methods: [], send, initialIdentifier: 256 }),
    ).toThrow(RangeError);
    expect(
      () => new EapAuthenticator({ clock, methods: [], send, retransmit: { initialTimeoutMs: 0 } }),
    ).toThrow(RangeError);
    expect(
      () =>
        new EapAuthenticator({ clock, methods: [], send, retransmit: { maxRetransmissions: -1 } }),
    ).toThrow(RangeError);
    const peerOnly = { ...md5, info: { ...md5.info, flags: EapMethodFlag.Peer } };
    expect(() => new EapAuthenticator({ clock, methods: [peerOnly], send })).toThrow(TypeError);
    const auth = new EapAuthenticator({ clock, methods: [], send });
    auth.start();
    expect(() => auth.start()).toThrow(TypeError);
  });

  it('fails at once when no method is configured', () => {
    const { auth, sent, results } = authenticator([], 1);
    auth.receive(identity(1));
    expect(sent.at(-1)).toBe('04010004');
    expect(results).toMatchObject([{ outcome: 'failure', reason: 'no method configured' }]);
  });
});

describe('EapAuthenticator wired synchronously to a peer', () => {
  it('accepts a Response that arrives from inside its own send callback (re-entrant receive)', () => {
    const clock = new VirtualClock();
    let result: EapSessionResult | undefined;
    let peerResult: EapSessionResult | undefined;
    // No queue: each side's send calls the other's receive at once.
    const link: { auth?: EapAuthenticator; peer?: EapPeer } = {};
    link.peer = new EapPeer({
      methods: [md5],
      identity: 'bob',
      password: 'hello',
      send: (bytes) => link.auth?.receive(bytes.slice()),
      onResult: (r) => (peerResult = r),
    });
    link.auth = new EapAuthenticator({
      clock,
      methods: [md5],
      provider,
      send: (bytes) => link.peer?.receive(bytes.slice()),
      onResult: (r) => (result = r),
    });
    link.auth.start();
    expect(link.auth.stats().dropped).toEqual({});
    expect(result).toMatchObject({ outcome: 'success' });
    expect(peerResult).toMatchObject({ outcome: 'success' });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('EapAuthenticator with a shared send buffer', () => {
  it('retransmits its own Request/Identity even after another authenticator used the buffer', () => {
    const clock = new VirtualClock();
    const shared = new Uint8Array(64);
    const sent: string[][] = [[], []];
    const make = (i: number, initialIdentifier: number) =>
      new EapAuthenticator({
        clock,
        methods: [md5],
        provider,
        initialIdentifier,
        sendBuffer: shared,
        retransmit: { initialTimeoutMs: 1000, maxTimeoutMs: 1000, maxRetransmissions: 1 },
        send: (b) => sent[i]?.push(toHex(b)),
      });
    const a = make(0, 5);
    const b = make(1, 9);
    a.start();
    b.start(); // overwrites the shared buffer with its own Request/Identity
    // A Response/Identity to b makes it encode its MD5 Request into the buffer too.
    b.receive(
      encodeEap({
        code: EapCode.Response,
        identifier: 9,
        type: EapType.Identity,
        typeData: new TextEncoder().encode('bob'),
      }),
    );
    clock.advance(1000);
    expect(sent[0]).toEqual(['0105000501', '0105000501']);
    expect(sent[1]?.[0]).toBe('0109000501');
    expect(() => make(0, 1)).not.toThrow();
    expect(
      () =>
        new EapAuthenticator({
          clock,
          methods: [md5],
          sendBuffer: new Uint8Array(4),
          send: () => {},
        }),
    ).toThrow(RangeError);
  });
});
