/**
 * Tests written to kill mutations that survived the earlier suite (outside
 * review). Expected bytes are independent of our code: RFC rules, or values
 * computed with Python's hashlib as written in the comments.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import type { Crypto } from '../runtime/index.js';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  ntPasswordHash,
} from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  emitRadius,
  hideUserPassword,
  parseRadius,
  revealUserPassword,
  signAccessRequest,
  type RadiusEapResult,
  type RadiusEndpoint,
  type RadiusServerOptions,
} from './index.js';

const secret = new TextEncoder().encode('testing123');
const text = (s: string) => new TextEncoder().encode(s);
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const users = new StaticUserStore([
  { name: 'bob', password: 'hello' },
  { name: 'alice', ntHash: ntPasswordHash('wonder') },
]);
const A: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const B: RadiusEndpoint = { address: '127.0.0.2', port: 40000 };

/** Node's digests, but randomBytes returns zeros: salts then depend only on the code. */
const zeroRandom: Crypto = { ...nodeCrypto, randomBytes: (n) => new Uint8Array(n) };

function makeServer(overrides: Partial<RadiusServerOptions> = {}) {
  const sent: { datagram: Uint8Array; to: RadiusEndpoint }[] = [];
  const server = new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients: [
      { address: '127.0.0.1', secret: 'testing123' },
      { address: '127.0.0.2', secret: 'testing123' },
    ],
    methods: [md5, mschapv2],
    users,
    send: (datagram, to) => sent.push({ datagram, to }),
    ...overrides,
  });
  return { server, sent };
}

function papRequest(id: number, authenticator: Uint8Array, password: string): Uint8Array {
  return signAccessRequest(
    nodeCrypto,
    RadiusCode.AccessRequest,
    id,
    authenticator,
    [
      { type: RadiusAttributeType.UserName, value: text('bob') },
      {
        type: RadiusAttributeType.UserPassword,
        value: hideUserPassword(nodeCrypto, text(password), secret, authenticator),
      },
    ],
    secret,
  );
}

describe('mutation-killing tests (outside review)', () => {
  it('User-Password hiding matches an independently computed vector (RFC 2865 §5.2)', () => {
    // python3: s=b'testing123'; ra=bytes(range(16)); p=b'a password longer than 16'.ljust(32,b'\0')
    //   c1 = xor(p[:16], md5(s+ra)); c2 = xor(p[16:], md5(s+c1)); (c1+c2).hex()
    const authenticator = fromHex('000102030405060708090a0b0c0d0e0f');
    const expected = 'f7ce79ab078e0d75622227486f7ae5ee5c57ab1c4770961e9702e0c6487b2fdd';
    const password = text('a password longer than 16');
    expect(toHex(hideUserPassword(nodeCrypto, password, secret, authenticator))).toBe(expected);
    expect(revealUserPassword(nodeCrypto, fromHex(expected), secret, authenticator)).toEqual(
      password,
    );
  });

  it('MS-MPPE-Send-Key and MS-MPPE-Recv-Key get different salts, high bit set (RFC 2548 §2.4.2), even from a constant RNG', () => {
    const clock = new VirtualClock();
    const box: { client?: RadiusEapClient } = {};
    const accepts: Uint8Array[] = [];
    const { server } = makeServer({
      clock,
      crypto: zeroRandom,
      send: (datagram) => {
        if (datagram[0] === RadiusCode.AccessAccept) accepts.push(datagram.slice());
        box.client?.receive(datagram, { address: '127.0.0.1', port: 1812 });
      },
    });
    let result: RadiusEapResult | undefined;
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
      methods: [mschapv2],
      identity: 'alice',
      password: 'wonder',
      send: (datagram) => server.receive(datagram, A),
      onResult: (r) => (result = r),
    });
    box.client = client;
    client.start();
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(accepts).toHaveLength(1);
    const parsed = parseRadius(accepts[0] as Uint8Array);
    if (!parsed.ok) throw new Error('unparsable Accept');
    const salts = new Map<number, number>();
    for (const a of parsed.value.attributes) {
      if (a.type !== RadiusAttributeType.VendorSpecific) continue;
      const vendor = (a.value[0]! << 24) | (a.value[1]! << 16) | (a.value[2]! << 8) | a.value[3]!;
      if (vendor !== 311 || (a.value[4] !== 16 && a.value[4] !== 17)) continue;
      salts.set(a.value[4], (a.value[6]! << 8) | a.value[7]!);
    }
    expect(salts.size).toBe(2);
    expect(salts.get(16)! & 0x8000).toBe(0x8000);
    expect(salts.get(17)! & 0x8000).toBe(0x8000);
    expect(salts.get(16)).not.toBe(salts.get(17));
  });

  it('same source and Identifier with another Request Authenticator is a NEW request (RFC 5080 §2.2.2)', () => {
    const { server, sent } = makeServer();
    server.receive(papRequest(5, fromHex('11'.repeat(16)), 'hello'), A);
    server.receive(papRequest(5, fromHex('22'.repeat(16)), 'wrong'), A);
    expect(sent.map((s) => s.datagram[0])).toEqual([
      RadiusCode.AccessAccept,
      RadiusCode.AccessReject,
    ]);
    expect(server.stats()).toMatchObject({ duplicatesAnswered: 0, accepted: 1, rejected: 1 });
    // And the true retransmission (same authenticator) is answered from the cache.
    server.receive(papRequest(5, fromHex('22'.repeat(16)), 'wrong'), A);
    expect(server.stats().duplicatesAnswered).toBe(1);
  });

  it('a State from client A cannot continue a conversation from client B', () => {
    const { server, sent } = makeServer();
    const identity = Uint8Array.of(2, 9, 0, 8, 1, ...text('bob'));
    server.receive(
      signAccessRequest(
        nodeCrypto,
        1,
        1,
        nodeCrypto.randomBytes(16),
        [
          { type: RadiusAttributeType.UserName, value: text('bob') },
          { type: RadiusAttributeType.EapMessage, value: identity },
        ],
        secret,
      ),
      A,
    );
    expect(sent).toHaveLength(1);
    const challenge = parseRadius(sent[0]!.datagram);
    if (!challenge.ok) throw new Error('unparsable');
    expect(challenge.value.code).toBe(RadiusCode.AccessChallenge);
    const state = challenge.value.attributes.find((a) => a.type === RadiusAttributeType.State)!;
    const eapReq = challenge.value.attributes.find(
      (a) => a.type === RadiusAttributeType.EapMessage,
    )!;
    // A Nak asking for MD5 (type 4) with the Request's Identifier, but from B.
    const nak = Uint8Array.of(2, eapReq.value[1]!, 0, 6, 3, 4);
    const fromB = signAccessRequest(
      nodeCrypto,
      1,
      2,
      nodeCrypto.randomBytes(16),
      [
        { type: RadiusAttributeType.UserName, value: text('bob') },
        { type: RadiusAttributeType.EapMessage, value: nak },
        { type: RadiusAttributeType.State, value: state.value.slice() },
      ],
      secret,
    );
    server.receive(fromB, B);
    expect(sent).toHaveLength(1);
    expect(server.stats().dropped).toMatchObject({ 'state-of-other-client': 1 });
    // Same client entry (a prefix) but another NAS address: refused too.
    const shared = makeServer({ clients: [{ address: '127.0.0.0/8', secret: 'testing123' }] });
    shared.server.receive(
      signAccessRequest(
        nodeCrypto,
        1,
        1,
        nodeCrypto.randomBytes(16),
        [{ type: RadiusAttributeType.EapMessage, value: identity }],
        secret,
      ),
      A,
    );
    const c2 = parseRadius(shared.sent[0]!.datagram);
    if (!c2.ok) throw new Error('unparsable');
    const state2 = c2.value.attributes.find((a) => a.type === RadiusAttributeType.State)!;
    const req2 = c2.value.attributes.find((a) => a.type === RadiusAttributeType.EapMessage)!;
    shared.server.receive(
      signAccessRequest(
        nodeCrypto,
        1,
        2,
        nodeCrypto.randomBytes(16),
        [
          {
            type: RadiusAttributeType.EapMessage,
            value: Uint8Array.of(2, req2.value[1]!, 0, 6, 3, 4),
          },
          { type: RadiusAttributeType.State, value: state2.value.slice() },
        ],
        secret,
      ),
      B,
    );
    expect(shared.sent).toHaveLength(1);
    expect(shared.server.stats().dropped).toMatchObject({ 'state-of-other-client': 1 });
  });

  it('an Access-Request with EAP-Message and no Message-Authenticator is discarded even when the client does not require one (RFC 3579 §3.2)', () => {
    const { server, sent } = makeServer({
      clients: [{ address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: false }],
    });
    const identity = Uint8Array.of(2, 9, 0, 8, 1, ...text('bob'));
    server.receive(
      emitRadius(1, 1, nodeCrypto.randomBytes(16), [
        { type: RadiusAttributeType.EapMessage, value: identity },
      ]),
      A,
    );
    expect(sent).toHaveLength(0);
    expect(server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
    // The same client's PAP without one is answered (the option does what it says).
    server.receive(
      emitRadius(1, 2, fromHex('33'.repeat(16)), [
        { type: RadiusAttributeType.UserName, value: text('bob') },
        {
          type: RadiusAttributeType.UserPassword,
          value: hideUserPassword(nodeCrypto, text('hello'), secret, fromHex('33'.repeat(16))),
        },
      ]),
      A,
    );
    expect(sent.map((s) => s.datagram[0])).toEqual([RadiusCode.AccessAccept]);
  });
});
