import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { DictionaryFileError, loadDictionary } from './dictionary-file.js';
import {
  decryptTunnelPassword,
  encryptTunnelPassword,
  readTaggedInteger,
  vlanAttributes,
} from './tunnel.js';

const secret = new TextEncoder().encode('testing123');
const RA = fromHex('000102030405060708090a0b0c0d0e0f');

describe('Tunnel attributes (RFC 2868, RFC 3580)', () => {
  it('VLAN assignment: Tunnel-Type=VLAN, Tunnel-Medium-Type=IEEE-802, Tunnel-Private-Group-Id, tagged', () => {
    const [type, medium, group] = vlanAttributes(42, 1);
    expect(type).toEqual({ type: 64, value: Uint8Array.of(1, 0, 0, 13) });
    expect(medium).toEqual({ type: 65, value: Uint8Array.of(1, 0, 0, 6) });
    expect(group).toEqual({ type: 81, value: Uint8Array.of(1, 0x34, 0x32) });
    expect(vlanAttributes('guest')[2]?.value).toEqual(new TextEncoder().encode('guest'));
    expect(readTaggedInteger(type!.value)).toEqual({ tag: 1, value: 13 });
    expect(() => vlanAttributes(1, 32)).toThrow(RangeError);
  });

  it('Tunnel-Password salt encryption (RFC 2868 §3.5) matches a vector computed with python3 hashlib', () => {
    // python3: p = bytes([11]) + b'vlan-secret' padded to 16; b1 = md5(b'testing123' + bytes(range(16)) + b'\x85\x21')
    //   value = bytes([1]) + b'\x85\x21' + xor(p, b1)
    const attribute = encryptTunnelPassword(
      nodeCrypto,
      new TextEncoder().encode('vlan-secret'),
      secret,
      RA,
      Uint8Array.of(0x85, 0x21),
      1,
    );
    expect(attribute.type).toBe(69);
    expect(toHex(attribute.value)).toBe('0185218bb0b562f3da0bc61480b5df3f9cd6b9');
    expect(decryptTunnelPassword(nodeCrypto, attribute.value, secret, RA)).toEqual({
      tag: 1,
      password: new TextEncoder().encode('vlan-secret'),
    });
    expect(
      decryptTunnelPassword(nodeCrypto, attribute.value.subarray(0, 10), secret, RA),
    ).toBeUndefined();
  });
});

describe('FreeRADIUS dictionary loader', () => {
  const files: Record<string, string> = {
    'dictionary.acme': [
      'VENDOR  Acme  9999',
      'BEGIN-VENDOR Acme',
      'ATTRIBUTE Acme-Vlan 1 integer',
      'ATTRIBUTE Acme-Addr6 2 ipv6addr',
      'END-VENDOR Acme',
    ].join('\n'),
  };
  const read = (name: string) => files[name];

  it('reads ATTRIBUTE, VALUE, VENDOR, BEGIN/END-VENDOR, $INCLUDE, tags and encrypt flags', () => {
    const d = loadDictionary(
      'dictionary',
      [
        '# comment',
        'ATTRIBUTE Tunnel-Type 64 integer has_tag',
        'ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2',
        'ATTRIBUTE Event-Timestamp 55 date',
        'VALUE Tunnel-Type VLAN 13',
        'VALUE Tunnel-Type PPTP 0x01',
        '$INCLUDE dictionary.acme',
      ].join('\n'),
      { read },
    );
    expect(d.byName.get('Tunnel-Password')).toMatchObject({
      number: 69,
      hasTag: true,
      encrypt: 2,
      vendorId: 0,
    });
    expect(d.values.get('Tunnel-Type')?.get('VLAN')).toBe(13);
    expect(d.values.get('Tunnel-Type')?.get('PPTP')).toBe(1);
    expect(d.attributes.get('9999:1')).toMatchObject({ name: 'Acme-Vlan', type: 'integer' });
    expect(d.byName.get('Acme-Addr6')?.type).toBe('ipv6addr');
    expect(d.vendors.get('Acme')).toBe(9999);
  });

  it('errors name file:line, with code ERR_RADIUS_DICTIONARY', () => {
    const cases: [string, RegExp][] = [
      ['ATTRIBUTE X 1 banana', /^d:1: unknown type/],
      ['\nATTRIBUTE X 300 integer', /^d:2: standard attribute number 300/],
      ['BEGIN-VENDOR Nobody', /^d:1: unknown vendor/],
      ['VENDOR V 1\nBEGIN-VENDOR V', /^d:2: BEGIN-VENDOR V not closed/],
      ['END-VENDOR V', /^d:1: END-VENDOR/],
      ['FROB x', /^d:1: unknown keyword/],
      ['$INCLUDE missing', /^d:1: cannot read included file/],
      ['VALUE A B', /^d:1: VALUE needs/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        loadDictionary('d', text, { read });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DictionaryFileError);
      expect((error as DictionaryFileError).code).toBe('ERR_RADIUS_DICTIONARY');
      expect((error as Error).message).toMatch(message);
    }
    expect(loadDictionary('d', '$INCLUDE- missing', { read }).attributes.size).toBe(0);
  });

  it('$INCLUDE is bounded: a file including itself stops at maxIncludeDepth', () => {
    expect(() => loadDictionary('loop', '$INCLUDE loop', { read: () => '$INCLUDE loop' })).toThrow(
      /nested deeper than 8/,
    );
  });

  it('never throws anything but DictionaryFileError on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        (lines, depth) => {
          try {
            loadDictionary('f', lines.join('\n'), {
              read: () => lines.join('\n'),
              maxIncludeDepth: depth,
            });
          } catch (e) {
            if (!(e instanceof DictionaryFileError)) throw e;
          }
        },
      ),
    );
  });
});
