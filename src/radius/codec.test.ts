import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  RadiusAttributeType,
  RadiusCode,
  attributeByName,
  attributeName,
  carriedEap,
  checkRequestMessageAuthenticator,
  checkResponse,
  decryptMppeKey,
  eapMessageAttributes,
  emitRadius,
  encryptMppeKey,
  formatValue,
  hideUserPassword,
  parseRadius,
  revealUserPassword,
  signAccessRequest,
  signResponse,
} from './index.js';

const secret = new TextEncoder().encode('testing123');

describe('RADIUS codec (RFC 2865 §3)', () => {
  it('parses header and attributes as views, ignores padding past Length, and round-trips', () => {
    const bytes = emitRadius(1, 42, new Uint8Array(16).fill(7), [
      { type: 1, value: new TextEncoder().encode('bob') },
      { type: 79, value: new Uint8Array(0) },
    ]);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes);
    const parsed = parseRadius(padded);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({ code: 1, identifier: 42, offsets: [20, 25] });
    expect(parsed.value.bytes).toHaveLength(bytes.length);
    expect(parsed.value.attributes[0]?.value.buffer).toBe(padded.buffer);
    expect(toHex(emitRadius(1, 42, parsed.value.authenticator, parsed.value.attributes))).toBe(
      toHex(bytes),
    );
  });

  it('refuses bad lengths with stable codes', () => {
    const code = (bytes: Uint8Array) => {
      const r = parseRadius(bytes);
      return r.ok ? 'ok' : r.failure.code;
    };
    expect(code(new Uint8Array(19))).toBe('truncated');
    expect(code(Uint8Array.of(1, 1, 0, 19, ...new Uint8Array(16)))).toBe('bad-length');
    expect(code(Uint8Array.of(1, 1, 0x10, 1, ...new Uint8Array(16)))).toBe('bad-length');
    expect(code(Uint8Array.of(1, 1, 0, 30, ...new Uint8Array(16)))).toBe('truncated');
    expect(code(Uint8Array.of(1, 1, 0, 22, ...new Uint8Array(16), 1, 1))).toBe(
      'bad-attribute-length',
    );
    expect(code(Uint8Array.of(1, 1, 0, 23, ...new Uint8Array(16), 1, 5, 0))).toBe(
      'bad-attribute-length',
    );
    expect(code(Uint8Array.of(1, 1, 0, 21, ...new Uint8Array(16), 1))).toBe('bad-attribute-length');
    expect(() =>
      emitRadius(1, 1, new Uint8Array(16), [{ type: 1, value: new Uint8Array(254) }]),
    ).toThrow(RangeError);
  });

  it('splits EAP into 253-byte EAP-Messages and joins them again; checks consecutiveness and Length', () => {
    const eap = new Uint8Array(600);
    eap.set([2, 9, 600 >> 8, 600 & 0xff, 4]);
    const pieces = eapMessageAttributes(eap);
    expect(pieces.map((p) => p.value.length)).toEqual([253, 253, 94]);
    const packet = parseRadius(emitRadius(1, 1, new Uint8Array(16), pieces));
    if (!packet.ok) throw new Error('parse');
    const carried = carriedEap(packet.value);
    expect(carried.ok && carried.value.kind === 'eap' && toHex(carried.value.bytes)).toBe(
      toHex(eap),
    );
    const split = parseRadius(
      emitRadius(1, 1, new Uint8Array(16), [
        pieces[0]!,
        { type: 1, value: Uint8Array.of(1) },
        pieces[1]!,
        pieces[2]!,
      ]),
    );
    if (!split.ok) throw new Error('parse');
    expect(carriedEap(split.value)).toMatchObject({
      ok: false,
      failure: { code: 'eap-not-consecutive' },
    });
    const short = parseRadius(emitRadius(1, 1, new Uint8Array(16), pieces.slice(0, 2)));
    if (!short.ok) throw new Error('parse');
    expect(carriedEap(short.value)).toMatchObject({
      ok: false,
      failure: { code: 'eap-length-mismatch' },
    });
  });

  it('Message-Authenticator: a signed request verifies, a changed byte does not; responses verify against the request', () => {
    const authenticator = nodeCrypto.randomBytes(16);
    const request = signAccessRequest(
      nodeCrypto,
      1,
      3,
      authenticator,
      [{ type: 1, value: Uint8Array.of(65) }],
      secret,
    );
    const parsed = parseRadius(request);
    if (!parsed.ok) throw new Error('parse');
    expect(parsed.value.attributes[0]?.type).toBe(RadiusAttributeType.MessageAuthenticator);
    // HMAC-MD5 over the packet with the value zeroed, computed independently.
    const zeroed = request.slice();
    zeroed.fill(0, 22, 38);
    expect(toHex(parsed.value.attributes[0]!.value)).toBe(
      toHex(nodeCrypto.hmac('md5', secret, zeroed)),
    );
    expect(
      checkRequestMessageAuthenticator(nodeCrypto, parsed.value, secret, true),
    ).toBeUndefined();
    const changed = request.slice();
    changed[request.length - 1] = 66;
    const bad = parseRadius(changed);
    if (!bad.ok) throw new Error('parse');
    expect(checkRequestMessageAuthenticator(nodeCrypto, bad.value, secret, false)).toBe('bad');
    const response = signResponse(
      nodeCrypto,
      RadiusCode.AccessAccept,
      3,
      authenticator,
      [],
      secret,
    );
    const parsedResponse = parseRadius(response);
    if (!parsedResponse.ok) throw new Error('parse');
    // Response Authenticator = MD5(Code‖Id‖Length‖RequestAuth‖Attributes‖Secret), over the MA-bearing packet.
    const check = response.slice();
    check.set(authenticator, 4);
    expect(toHex(parsedResponse.value.authenticator)).toBe(
      toHex(nodeCrypto.digest('md5', check, secret)),
    );
    expect(
      checkResponse(nodeCrypto, parsedResponse.value, authenticator, secret, true),
    ).toBeUndefined();
    expect(checkResponse(nodeCrypto, parsedResponse.value, new Uint8Array(16), secret, true)).toBe(
      'bad-response-authenticator',
    );
  });

  it('MS-MPPE key salt encryption (RFC 2548 §2.4.2): computed by hand for one block, and round-trips', () => {
    const key = fromHex('d5f0e9521e3ea9589645e86051c82226');
    const requestAuthenticator = fromHex('00112233445566778899aabbccddeeff');
    const salt = Uint8Array.of(0x81, 0x02);
    const value = encryptMppeKey(nodeCrypto, key, secret, requestAuthenticator, salt);
    expect(value).toHaveLength(2 + 32);
    const plain = new Uint8Array(32);
    plain[0] = 16;
    plain.set(key, 1);
    const b1 = nodeCrypto.digest('md5', secret, requestAuthenticator, salt);
    const c1 = plain.subarray(0, 16).map((p, i) => p ^ (b1[i] as number));
    expect(toHex(value.subarray(2, 18))).toBe(toHex(c1));
    const b2 = nodeCrypto.digest('md5', secret, c1);
    expect(toHex(value.subarray(18))).toBe(
      toHex(plain.subarray(16).map((p, i) => p ^ (b2[i] as number))),
    );
    expect(toHex(decryptMppeKey(nodeCrypto, value, secret, requestAuthenticator)!)).toBe(
      toHex(key),
    );
    expect(
      decryptMppeKey(nodeCrypto, value.subarray(0, 10), secret, requestAuthenticator),
    ).toBeUndefined();
    expect(() =>
      encryptMppeKey(nodeCrypto, key, secret, requestAuthenticator, Uint8Array.of(1, 2)),
    ).toThrow(RangeError);
  });

  it('User-Password hiding (RFC 2865 §5.2) round-trips and pads to 16n', () => {
    const authenticator = nodeCrypto.randomBytes(16);
    const password = new TextEncoder().encode('a password longer than 16');
    const hidden = hideUserPassword(nodeCrypto, password, secret, authenticator);
    expect(hidden).toHaveLength(32);
    expect(revealUserPassword(nodeCrypto, hidden, secret, authenticator)).toEqual(password);
    expect(
      revealUserPassword(nodeCrypto, hidden.subarray(0, 20), secret, authenticator),
    ).toBeUndefined();
  });

  it('the dictionary names standard and Microsoft attributes as FreeRADIUS does', () => {
    expect(attributeName(79)).toBe('EAP-Message');
    expect(attributeName(17, 311)).toBe('MS-MPPE-Recv-Key');
    expect(attributeName(250)).toBe('Attr-250');
    expect(attributeName(99, 9)).toBe('Vendor-9-Attr-99');
    expect(attributeByName('MS-CHAP2-Success')).toMatchObject({
      vendorId: 311,
      definition: { type: 26 },
    });
    expect(formatValue('integer', Uint8Array.of(0, 0, 1, 0))).toBe(256);
    expect(formatValue('ipaddr', Uint8Array.of(127, 0, 0, 1))).toBe('127.0.0.1');
    expect(formatValue('octets', Uint8Array.of(1))).toBe('0x01');
  });
});
