import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes/index.js';
import { PcapngWriter, PcapWriter, readCapture } from './index.js';

function readOk(parts: Uint8Array[]) {
  const result = readCapture(concat(parts));
  if (!result.ok) throw new Error(`${result.failure.code}: ${result.failure.message}`);
  return result.value;
}

describe('PcapWriter', () => {
  it('writes the draft header and records in little-endian microseconds by default', () => {
    const w = new PcapWriter({ linkType: 1 });
    expect(toHex(w.header())).toBe(
      toHex(fromHex('d4c3b2a1 0200 0400 00000000 00000000 00000400 01000000')),
    );
    expect(
      toHex(w.record({ timestamp: 1_000_002_999n, data: fromHex('aabb'), originalLength: 60 })),
    ).toBe(toHex(fromHex('01000000 02000000 02000000 3c000000 aabb')));
  });

  it('writes big-endian nanoseconds with the FCS length in the LinkType field', () => {
    const w = new PcapWriter({
      linkType: 1,
      nanoseconds: true,
      byteOrder: 'big',
      snapLength: 3,
      fcsLength: 4,
    });
    expect(toHex(w.header())).toBe(
      toHex(fromHex('a1b23c4d 0002 0004 00000000 00000000 00000003 24000001')),
    );
    const capture = readOk([w.header(), w.record({ timestamp: 7n, data: fromHex('01020304') })]);
    expect(capture.info.interfaces[0]).toMatchObject({ fcsLength: 4, linkType: 1 });
    expect(capture.records[0]).toMatchObject({
      timestamp: 7n,
      capturedLength: 3,
      originalLength: 4,
    });
  });

  it('refuses what the format cannot hold', () => {
    expect(() => new PcapWriter({ linkType: 70000 })).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 1, snapLength: 0 })).toThrow(RangeError);
    expect(() => new PcapWriter({ linkType: 1, fcsLength: 3 })).toThrow(RangeError);
    const w = new PcapWriter({ linkType: 1 });
    expect(() => w.record({ timestamp: -1n, data: new Uint8Array(0) })).toThrow(RangeError);
    expect(() =>
      w.record({ timestamp: 2n ** 32n * 1_000_000_000n, data: new Uint8Array(0) }),
    ).toThrow(RangeError);
  });
});

describe('PcapngWriter', () => {
  it('writes SHB, IDB and EPB that the reader reads back', () => {
    const w = new PcapngWriter({ comments: ['made by a test'], os: 'Linux' });
    const parts = [
      w.sectionHeader(),
      w.addInterface({
        linkType: 1,
        name: 'eth0',
        resolution: { base: 10, exponent: 9 },
        snapLength: 1500,
      }),
      w.addInterface({
        linkType: 101,
        resolution: { base: 2, exponent: 20 },
        tsOffset: -5n,
        fcsLength: 4,
      }),
      w.packet({
        timestamp: 1_700_000_000_123_456_789n,
        data: fromHex('00112233'),
        flags: { direction: 'outbound', receptionType: 'broadcast' },
        comments: ['first', 'second'],
      }),
      w.packet({
        interfaceId: 1,
        timestamp: 1_500_000_000n,
        data: fromHex('45'),
        originalLength: 20,
      }),
    ];
    const capture = readOk(parts);
    expect(capture.info.sections[0]).toMatchObject({
      userApplication: 'netrx',
      os: 'Linux',
      comments: ['made by a test'],
    });
    expect(
      capture.info.interfaces.map((i) => [i.name, i.linkType, i.snapLength, i.tsOffset]),
    ).toEqual([
      ['eth0', 1, 1500, 0n],
      [undefined, 101, 0, -5n],
    ]);
    expect(capture.info.interfaces[1]!.fcsLength).toBe(4);
    expect(capture.records[0]).toMatchObject({
      timestamp: 1_700_000_000_123_456_789n,
      flags: { direction: 'outbound', receptionType: 'broadcast' },
      comments: ['first', 'second'],
    });
    expect(capture.records[1]).toMatchObject({
      interfaceId: 1,
      timestamp: 1_500_000_000n,
      capturedLength: 1,
      originalLength: 20,
    });
    expect(capture.records[1]!.flags).toBeUndefined();
  });

  it('writes big-endian sections and pads every block to 32 bits', () => {
    const w = new PcapngWriter({ byteOrder: 'big', userApplication: '' });
    const shb = w.sectionHeader();
    expect(toHex(shb)).toBe(
      toHex(fromHex('0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c')),
    );
    const idb = w.addInterface({ linkType: 1 });
    const epb = w.packet({
      timestamp: 0n,
      data: fromHex('010203'),
      flags: { direction: 'inbound' },
    });
    expect(epb.length % 4).toBe(0);
    expect(toHex(epb.subarray(28, 32))).toBe('01020300');
    expect(readOk([shb, idb, epb]).records[0]!.flags?.direction).toBe('inbound');
  });

  it('writes epb_dropcount (option 4, u64 in the section byte order) and refuses one past 64 bits', () => {
    for (const byteOrder of ['little', 'big'] as const) {
      const w = new PcapngWriter({ byteOrder, userApplication: '' });
      const parts = [w.sectionHeader(), w.addInterface({ linkType: 1 })];
      const epb = w.packet({ timestamp: 0n, data: fromHex('01020304'), dropCount: 0x1_0000_0002n });
      // 28 bytes of header, 4 of data, then the option, end-of-options and the trailing length.
      const option = epb.subarray(32, 44);
      expect(toHex(option)).toBe(
        toHex(
          fromHex(
            byteOrder === 'little' ? '0400 0800 02000000 01000000' : '0004 0008 00000001 00000002',
          ),
        ),
      );
      expect(epb.length).toBe(32 + 12 + 4 + 4);
      expect(readOk([...parts, epb]).records[0]!.data).toEqual(fromHex('01020304'));
      expect(() => w.packet({ timestamp: 0n, data: fromHex('01'), dropCount: 1n << 64n })).toThrow(
        /dropCount/,
      );
    }
  });

  it('starts a new section with no interfaces on every sectionHeader()', () => {
    const w = new PcapngWriter();
    expect(() => w.addInterface({ linkType: 1 })).toThrow(/sectionHeader/);
    w.sectionHeader();
    w.addInterface({ linkType: 1 });
    expect(w.interfaceCount).toBe(1);
    w.sectionHeader();
    expect(w.interfaceCount).toBe(0);
    expect(() => w.packet({ timestamp: 0n, data: new Uint8Array(1) })).toThrow(/interface 0/);
  });

  it('keeps raw flag bits and cuts frames to the snaplen', () => {
    const w = new PcapngWriter();
    const capture = readOk([
      w.sectionHeader(),
      w.addInterface({ linkType: 1, snapLength: 2 }),
      w.packet({
        timestamp: 0n,
        data: fromHex('010203'),
        flags: { raw: 0x01000000, direction: 'inbound' },
      }),
    ]);
    expect(capture.records[0]!.flags).toMatchObject({ raw: 0x01000001, linkErrors: 0x0100 });
    expect(capture.records[0]).toMatchObject({ capturedLength: 2, originalLength: 3 });
  });
});
