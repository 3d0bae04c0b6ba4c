import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import { encodeTlsTypeData, isTlsAck, parseTlsTypeData, TlsFlag } from './framing.js';
import { helloRandom } from './keys.js';
import { TlsFragmenter, TlsReassembler } from './reassembly.js';

describe('EAP-TLS Type-Data (RFC 5216 §3.1)', () => {
  it('encodes Flags, the four-octet TLS Message Length and the data', () => {
    expect(toHex(encodeTlsTypeData(TlsFlag.MoreFragments, 0x01020304, fromHex('aabb')))).toBe(
      'c001020304aabb',
    );
    expect(toHex(encodeTlsTypeData(0, undefined, fromHex('16')))).toBe('0016');
    expect(toHex(encodeTlsTypeData(TlsFlag.Start | 1, undefined, new Uint8Array(0)))).toBe('21');
  });

  it('parses the flags, the version bits and an unsigned length', () => {
    const r = parseTlsTypeData(fromHex('c3ffffffff01'));
    expect(r.ok && r.value).toMatchObject({
      more: true,
      start: false,
      version: 3,
      totalLength: 0xffffffff,
    });
    expect(parseTlsTypeData(fromHex('80000001'))).toMatchObject({ ok: false });
    expect(parseTlsTypeData(new Uint8Array(0))).toMatchObject({ ok: false });
  });

  it('an ACK is Flags alone with no L, M or S (version bits allowed)', () => {
    const ack = (hex: string) => {
      const r = parseTlsTypeData(fromHex(hex));
      return r.ok && isTlsAck(r.value);
    };
    expect(ack('00')).toBe(true);
    expect(ack('01')).toBe(true);
    expect(ack('20')).toBe(false);
    expect(ack('8000000000')).toBe(false);
    expect(ack('0016')).toBe(false);
  });

  it('fragments: L and the total on the first, M on all but the last', () => {
    const f = new TlsFragmenter(fromHex('0102030405060708090a0b'));
    expect(toHex(f.next(8).typeData)).toBe('c00000000b' + '010203');
    expect(toHex(f.next(8).typeData)).toBe('40' + '0405060708090a');
    expect(f.done).toBe(false);
    expect(toHex(f.next(8).typeData)).toBe('00' + '0b');
    expect(f.done).toBe(true);
    const single = new TlsFragmenter(fromHex('0102'), { lengthOnUnfragmented: false });
    expect(toHex(single.next(8).typeData)).toBe('000102');
    expect(() => new TlsFragmenter(fromHex('01')).next(5)).toThrow(RangeError);
  });

  it('refuses a length that changes between fragments, and M without data', () => {
    const r = new TlsReassembler();
    const push = (hex: string) => {
      const p = parseTlsTypeData(fromHex(hex));
      if (!p.ok) throw new Error(p.reason);
      return r.push(p.value);
    };
    expect(push('c00000000401').kind).toBe('fragment');
    expect(push('c0000000050203')).toMatchObject({ kind: 'error', reason: /changed from 4 to 5/ });
    expect(push('40')).toMatchObject({ kind: 'error', reason: /no data/ });
    // L repeated with the same value on a later fragment is accepted (some peers do it).
    expect(push('c00000000301').kind).toBe('fragment');
    expect(push('80000000030203')).toMatchObject({ kind: 'message' });
  });
});

describe('helloRandom', () => {
  const random = '11'.repeat(32);
  const hello = `010000260303${random}00`;
  it('reads the random of a ClientHello, also when the record splits it', () => {
    expect(toHex(helloRandom(fromHex(`1603010029${hello}`), 1)!)).toBe(random);
    const first = hello.slice(0, 20);
    const rest = hello.slice(20);
    const split = `160301${(first.length / 2).toString(16).padStart(4, '0')}${first}160301${(rest.length / 2).toString(16).padStart(4, '0')}${rest}`;
    expect(toHex(helloRandom(fromHex(split), 1)!)).toBe(random);
  });
  it('is undefined for another message, another record type, or too little data', () => {
    expect(helloRandom(fromHex(`1603010029${hello}`), 2)).toBeUndefined();
    expect(helloRandom(fromHex(`1703010029${hello}`), 1)).toBeUndefined();
    expect(helloRandom(fromHex('16030100050100002603'), 1)).toBeUndefined();
  });
});
