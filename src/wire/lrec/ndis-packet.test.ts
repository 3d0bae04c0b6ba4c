import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  NdisCaptureKeyword,
  decodeNdisPacket,
} from './index.js';

const NDIS = NDIS_PACKET_CAPTURE_PROVIDER_GUID;

function utf16z(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) out[i * 2] = text.charCodeAt(i) & 0x7f;
  return out;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v, true));
  return out;
}

describe('decodeNdisPacket (Microsoft-Windows-NDIS-PacketCapture user data)', () => {
  it('tells the layouts apart by what follows the fragment', () => {
    const f = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const id = { providerId: NDIS, id: 1001, opcode: 0, keyword: 0n };
    const layouts = [
      [join(u32(1, 2, 6), f), 'windows', 6],
      [join(u32(1, 2, 6), f, new Uint8Array(16)), 'windows-gft', 6],
      [join(u32(1, 2, 6), f, u32(900)), 'netrx', 900],
      [join(u32(1, 2, 6), f, new Uint8Array(7)), 'other', 6],
    ] as const;
    for (const [data, layout, original] of layouts) {
      const d = decodeNdisPacket(id, data);
      expect(d.kind === 'packet' && [d.packet.layout, d.packet.originalLength]).toEqual([
        layout,
        original,
      ]);
    }
  });

  it('keywords give the medium (802.11, raw IP) and the direction', () => {
    const data = join(u32(1, 2, 1), Uint8Array.of(0x45));
    const decode = (keyword: bigint, opcode = 0) =>
      decodeNdisPacket({ providerId: NDIS, id: 1001, opcode, keyword }, data);
    expect(decode(NdisCaptureKeyword.MediaNative80211)).toMatchObject({
      packet: { linkType: 105 },
    });
    expect(decode(NdisCaptureKeyword.MediaWirelessWan)).toMatchObject({
      packet: { linkType: 101 },
    });
    expect(decode(NdisCaptureKeyword.Send, 240)).toMatchObject({
      packet: { direction: 'outbound' },
    });
    expect(decode(0n, 240)).toMatchObject({ packet: { direction: 'inbound' } });
    expect(decode(0n, 0)).toMatchObject({ packet: { direction: undefined } });
  });

  it('1003 without destinations decodes; with them it is undecodable; 1002 is metadata', () => {
    const f = Uint8Array.of(9, 9);
    const vm = (destinations: number) =>
      decodeNdisPacket(
        { providerId: NDIS, id: 1003, opcode: 0, keyword: 0n },
        join(
          u32(3, 4, 77),
          utf16z('port'),
          utf16z('nic'),
          utf16z('type'),
          u32(destinations, 2),
          f,
          u32(0),
        ),
      );
    expect(vm(0)).toMatchObject({
      kind: 'packet',
      packet: { layout: 'windows-vmswitch', miniportIfIndex: 3 },
    });
    expect(
      vm(0).kind === 'packet' && [
        ...(vm(0) as { packet: { fragment: Uint8Array } }).packet.fragment,
      ],
    ).toEqual([9, 9]);
    expect(vm(1).kind).toBe('undecodable');
    expect(
      decodeNdisPacket({ providerId: NDIS, id: 1002, opcode: 0, keyword: 0n }, u32(1, 2, 0)).kind,
    ).toBe('metadata');
    expect(
      decodeNdisPacket({ providerId: 'x', id: 1001, opcode: 0, keyword: 0n }, u32(1, 2, 0)).kind,
    ).toBe('not-packet');
  });

  it('property: never throws; a packet fragment lies inside the data and is never longer than the original', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1001, 1002, 1003, 7),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
        (id, keyword, opcode, bytes, size) => {
          const data = new Uint8Array(bytes);
          if (size !== undefined && data.length >= 12)
            new DataView(data.buffer).setUint32(8, size, true);
          const d = decodeNdisPacket({ providerId: NDIS, id, opcode, keyword }, data);
          if (d.kind === 'packet') {
            const f = d.packet.fragment;
            expect(f.buffer).toBe(data.buffer);
            expect(f.byteOffset + f.length).toBeLessThanOrEqual(data.length);
            expect(d.packet.originalLength).toBeGreaterThanOrEqual(f.length);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
