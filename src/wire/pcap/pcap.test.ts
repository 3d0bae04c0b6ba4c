import { describe, expect, it } from 'vitest';
import { fromHex } from '../../bytes/index.js';
import { PcapFailureCode, PcapReader, readCapture, type PcapReadResult } from './index.js';

/** Two records, little-endian, microseconds, Ethernet, SnapLen 65535. */
const LE_MICRO = fromHex(`
  d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000   # header: magic LE, 2.4, snaplen 65535, Ethernet
  01000000 02000000 04000000 06000000  aabbccdd             # ts 1 s + 2 µs, caplen 4, origlen 6
  05000000 40420f00 02000000 02000000  eeff                 # ts 5 s + 999999+1 µs (=1000000), caplen 2
`);

/** One record, big-endian, nanoseconds, LINKTYPE_RAW (101), SnapLen 3. */
const BE_NANO = fromHex(`
  a1b23c4d 0002 0004 00000000 00000000 00000003 00000065
  00000001 3b9ac9ff 00000003 00000010  010203               # ts 1 s + 999999999 ns, caplen 3, origlen 16
`);

function all(reader: PcapReader): PcapReadResult[] {
  const out: PcapReadResult[] = [];
  for (;;) {
    const result = reader.next();
    out.push(result);
    if (result.kind !== 'record') return out;
  }
}

function failureOf(bytes: Uint8Array, options = {}): { code: string; message: string } {
  const result = readCapture(bytes, options);
  if (result.ok) throw new Error('expected a failure');
  return result.failure;
}

describe('classic pcap', () => {
  it('reads little-endian microsecond records as views into the input', () => {
    const result = readCapture(LE_MICRO);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { info, records } = result.value;
    expect(info.format).toBe('pcap');
    expect(info.sections).toHaveLength(1);
    expect(info.sections[0]!.byteOrder).toBe('little');
    expect(info.interfaces[0]).toMatchObject({ linkType: 1, snapLength: 65535 });
    expect(info.interfaces[0]!.fcsLength).toBeUndefined();
    expect(records).toHaveLength(2);
    const [first, second] = records;
    expect(first).toMatchObject({
      interfaceId: 0,
      linkType: 1,
      timestamp: 1_000_002_000n,
      timestampUnits: 1_000_002n,
      resolution: { base: 10, exponent: 6 },
      capturedLength: 4,
      originalLength: 6,
      source: 'pcap-record',
    });
    expect([...first!.data]).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    expect(first!.data.buffer).toBe(LE_MICRO.buffer);
    // A fraction of 1000000 µs is out of range but harmless: it is carried as is.
    expect(second!.timestamp).toBe(6_000_000_000n);
  });

  it('reads big-endian nanosecond files', () => {
    const result = readCapture(BE_NANO);
    if (!result.ok) throw new Error(result.failure.message);
    expect(result.value.info.sections[0]!.byteOrder).toBe('big');
    expect(result.value.info.interfaces[0]!.resolution).toEqual({ base: 10, exponent: 9 });
    expect(result.value.records[0]).toMatchObject({
      linkType: 101,
      timestamp: 1_999_999_999n,
      capturedLength: 3,
      originalLength: 16,
    });
  });

  it('decodes the FCS length carried in the LinkType field', () => {
    const bytes = fromHex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000024');
    const result = readCapture(bytes);
    if (!result.ok) throw new Error(result.failure.message);
    expect(result.value.info.interfaces[0]).toMatchObject({ linkType: 1, fcsLength: 4 });
  });

  it('takes SnapLen 0 as unlimited, as libpcap and Wireshark do', () => {
    const bytes = fromHex(`d4c3b2a1 0200 0400 00000000 00000000 00000000 01000000
      00000000 00000000 01000000 01000000 ff`);
    const result = readCapture(bytes);
    expect(result.ok && result.value.records.length).toBe(1);
  });

  it('gives the same records whatever the chunking, copying only records that span chunks', () => {
    const reader = new PcapReader();
    const records = [];
    for (let i = 0; i < LE_MICRO.length; i++) {
      reader.push(LE_MICRO.subarray(i, i + 1));
      for (const r of all(reader)) if (r.kind === 'record') records.push(r.record);
    }
    reader.end();
    expect(all(reader).at(-1)).toEqual({ kind: 'end' });
    expect(records.map((r) => [...r.data])).toEqual([
      [0xaa, 0xbb, 0xcc, 0xdd],
      [0xee, 0xff],
    ]);
    expect(records[0]!.data.buffer).not.toBe(LE_MICRO.buffer);
  });

  it('answers need-more until a record is complete and end once ended cleanly', () => {
    const reader = new PcapReader();
    expect(reader.next()).toEqual({ kind: 'need-more' });
    reader.push(LE_MICRO.subarray(0, 30));
    expect(reader.next()).toEqual({ kind: 'need-more' });
    expect(reader.position).toBe(24);
    reader.push(LE_MICRO.subarray(30));
    expect(all(reader).map((r) => r.kind)).toEqual(['record', 'record', 'need-more']);
    reader.end();
    expect(reader.next()).toEqual({ kind: 'end' });
    expect(() => reader.push(new Uint8Array(1))).toThrow(RangeError);
  });

  describe('rejects malformed files with a code', () => {
    const header = 'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000';
    it.each([
      ['bad magic', '01020304 0000', PcapFailureCode.NotACapture, /magic 0x01020304/],
      ['gzip', '1f8b0800 0000', PcapFailureCode.NotACapture, /gzip/],
      [
        'version 2.5',
        'd4c3b2a1 0200 0500 00000000 00000000 ffff0000 01000000',
        'bad-version',
        /2\.5/,
      ],
      [
        'version 1.4',
        'd4c3b2a1 0100 0400 00000000 00000000 ffff0000 01000000',
        'bad-version',
        /1\.4/,
      ],
      [
        'reserved3 bits',
        'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 00003000',
        'bad-link-type',
        /0x00300000 has reserved bits/,
      ],
      [
        'R bit',
        'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000008',
        'bad-link-type',
        /reserved/,
      ],
      [
        'caplen > snaplen',
        'd4c3b2a1 0200 0400 00000000 00000000 04000000 01000000  00000000 00000000 05000000 05000000',
        'caplen-exceeds-snaplen',
        /5 captured bytes, more than the file's SnapLen 4/,
      ],
      [
        'caplen > 256 KiB',
        `${header} 00000000 00000000 01000400 01000400`,
        'packet-too-large',
        /262145 captured bytes; the limit is 262144/,
      ],
      ['empty', '', 'truncated', /empty input/],
      ['short header', 'd4c3b2a1 0200 04', 'truncated', /file header/],
      ['short record header', `${header} 00000000`, 'truncated', /packet record/],
      [
        'short record data',
        `${header} 00000000 00000000 04000000 04000000 0102`,
        'truncated',
        /packet record/,
      ],
    ])('%s', (_name, hex, code, message) => {
      const failure = failureOf(fromHex(hex));
      expect(failure.code).toBe(code);
      expect(failure.message).toMatch(message);
    });

    it('honours a configured packet limit without allocating for the claimed length', () => {
      const failure = failureOf(fromHex(`${header} 00000000 00000000 ffffff7f ffffff7f`), {
        maxPacketLength: 100,
      });
      expect(failure).toMatchObject({ code: 'packet-too-large', offset: 32 });
    });

    it('keeps reporting the same failure and ignores later bytes', () => {
      const reader = new PcapReader();
      reader.push(fromHex('01020304'));
      const first = reader.next();
      expect(first.kind).toBe('error');
      reader.push(LE_MICRO);
      expect(reader.next()).toEqual(first);
      expect(reader.buffered).toBe(0);
    });
  });

  it('rejects invalid limits as misuse', () => {
    expect(() => new PcapReader({ maxPacketLength: 0 })).toThrow(RangeError);
    expect(() => new PcapReader({ maxBlockLength: 1.5 })).toThrow(RangeError);
  });
});
