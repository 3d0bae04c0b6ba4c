/** PAP against NT-Password users, CHAP through the provider (outside review, findings 4 and 10). */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  StaticUserStore,
  constantTimePasswordEqual,
  createMd5Method,
  ntPasswordHash,
} from '../eap/index.js';
import { TraceRegistry, decodePayload, type TraceEvent } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RADIUS_PROVIDER,
  RadiusCode,
  RadiusServer,
  hideUserPassword,
  signAccessRequest,
  type RadiusAttribute,
} from './index.js';

const secret = new TextEncoder().encode('testing123');
const text = (s: string) => new TextEncoder().encode(s);
const NAS = { address: '127.0.0.1', port: 40000 };

function makeServer() {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const rejected: Record<string, unknown>[] = [];
  trace.enable(RADIUS_PROVIDER.name, (event: TraceEvent) => {
    if (event.descriptor.name !== 'RadiusAccessRejected') return;
    const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
    if (decoded.ok) rejected.push(decoded.values);
  });
  const codes: number[] = [];
  const server = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    trace,
    clients: [{ address: '127.0.0.1', secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    users: new StaticUserStore([
      { name: 'bob', password: 'hello' },
      // The NT hash only, as a users file with NT-Password holds it.
      { name: 'alice', ntHash: ntPasswordHash('wonder') },
    ]),
    send: (datagram) => codes.push(datagram[0] as number),
  });
  let id = 0;
  const send = (authenticator: Uint8Array, attributes: RadiusAttribute[]) => {
    server.receive(signAccessRequest(nodeCrypto, 1, ++id, authenticator, attributes, secret), NAS);
    return codes.at(-1);
  };
  const pap = (user: string, password: string) => {
    const authenticator = nodeCrypto.randomBytes(16);
    return send(authenticator, [
      { type: RadiusAttributeType.UserName, value: text(user) },
      {
        type: RadiusAttributeType.UserPassword,
        value: hideUserPassword(nodeCrypto, text(password), secret, authenticator),
      },
    ]);
  };
  return { server, send, pap, rejected };
}

describe('RadiusServer PAP and CHAP', () => {
  it('PAP checks a user that has only an NT-Password (MD4 of UTF-16LE)', () => {
    const h = makeServer();
    expect(h.pap('alice', 'wonder')).toBe(RadiusCode.AccessAccept);
    expect(h.pap('alice', 'wonde')).toBe(RadiusCode.AccessReject);
    expect(h.pap('bob', 'hello')).toBe(RadiusCode.AccessAccept);
    expect(h.rejected).toEqual([
      expect.objectContaining({ reason: 'wrong-password', method: 'PAP' }),
    ]);
  });

  it('CHAP with CHAP-Challenge: python3 hashlib.md5(bytes([9])+b"hello"+bytes.fromhex("aa"*16))', () => {
    const h = makeServer();
    const chap = (user: string, digest: string) =>
      h.send(nodeCrypto.randomBytes(16), [
        { type: RadiusAttributeType.UserName, value: text(user) },
        { type: RadiusAttributeType.ChapPassword, value: Uint8Array.of(9, ...fromHex(digest)) },
        { type: RadiusAttributeType.ChapChallenge, value: fromHex('aa'.repeat(16)) },
      ]);
    expect(chap('bob', '4e37c465722486498f471923441ebf26')).toBe(RadiusCode.AccessAccept);
    expect(chap('bob', '4e37c465722486498f471923441ebf27')).toBe(RadiusCode.AccessReject);
    // An NT hash cannot check CHAP: a clear reason in the trace.
    expect(chap('alice', '4e37c465722486498f471923441ebf26')).toBe(RadiusCode.AccessReject);
    expect(h.rejected.map((r) => r.reason)).toEqual([
      'wrong-password',
      'chap-needs-cleartext-password',
    ]);
  });

  it('CHAP without CHAP-Challenge uses the Request Authenticator (RFC 2865 §2.2): md5(bytes([7])+b"hello"+bytes(range(16)))', () => {
    const h = makeServer();
    expect(
      h.send(fromHex('000102030405060708090a0b0c0d0e0f'), [
        { type: RadiusAttributeType.UserName, value: text('bob') },
        {
          type: RadiusAttributeType.ChapPassword,
          value: Uint8Array.of(7, ...fromHex('5694f06ba6105ba5775fe81fab295965')),
        },
      ]),
    ).toBe(RadiusCode.AccessAccept);
  });

  it('constantTimePasswordEqual: equal only for the same bytes, whatever the lengths', () => {
    expect(constantTimePasswordEqual(text('hello'), text('hello'))).toBe(true);
    expect(constantTimePasswordEqual(text('hello'), text('hell'))).toBe(false);
    expect(constantTimePasswordEqual(text('hello'), text('hello\0'))).toBe(false);
    expect(constantTimePasswordEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimePasswordEqual(new Uint8Array(200), new Uint8Array(200))).toBe(true);
  });
});
