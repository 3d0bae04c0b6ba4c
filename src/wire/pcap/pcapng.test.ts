import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../bytes/index.js';
import { PcapReader, readCapture, type PcapRecord } from './index.js';

/**
 * A little-endian section written out byte by byte: SHB with shb_userappl and
 * a comment, IDB (Ethernet, snaplen 0) with if_name "eth0" and if_tsresol 9,
 * EPB with epb_flags inbound+unicast and a comment.
 */
const LITTLE = fromHex(`
  0a0d0d0a 34000000 4d3c2b1a 0100 0000 ffffffffffffffff   # SHB, 52 bytes, BOM, 1.0, length -1
  0400 0500 6e657472 78000000                            # shb_userappl "netrx"
  0100 0200 68690000                                     # opt_comment "hi"
  0000 0000 34000000                                     # opt_endofopt, trailing length
  01000000 28000000 0100 0000 00000000                   # IDB, 40 bytes, Ethernet, snaplen 0
  0200 0400 65746830                                     # if_name "eth0"
  0900 0100 09000000                                     # if_tsresol 10^-9
  0000 0000 28000000
  06000000 38000000 00000000                             # EPB, 56 bytes, interface 0
  00000000 05000000 03000000 05000000                    # ts 5 ns, caplen 3, origlen 5
  010203 00                                              # data + pad
  0200 0400 05000000                                     # epb_flags: inbound, unicast
  0100 0400 70696e67                                     # opt_comment "ping"
  0000 0000 38000000
`);

type Order = 'le' | 'be';

function word(value: number, order: Order): string {
  const hex = (value >>> 0).toString(16).padStart(8, '0');
  return order === 'be' ? hex : (hex.match(/../g) ?? []).reverse().join('');
}
function half(value: number, order: Order): string {
  const hex = value.toString(16).padStart(4, '0');
  return order === 'be' ? hex : hex.slice(2) + hex.slice(0, 2);
}
/** A block of `type` around `bodyHex` (already padded), with correct lengths. */
function blk(type: number, bodyHex: string, order: Order = 'le', total?: number): string {
  const length = total ?? 12 + fromHex(bodyHex).length;
  return word(type, order) + word(length, order) + bodyHex + word(length, order);
}
function opt(code: number, valueHex: string, order: Order = 'le'): string {
  const value = fromHex(valueHex);
  const padded = toHex(value) + '00'.repeat((4 - (value.length % 4)) % 4);
  return half(code, order) + half(value.length, order) + padded;
}
function shb(order: Order = 'le', options = '', major = 1, minor = 0): string {
  return blk(
    0x0a0d0d0a,
    word(0x1a2b3c4d, order) +
      half(major, order) +
      half(minor, order) +
      'ffffffffffffffff' +
      options,
    order,
  );
}
function idb(order: Order = 'le', linkType = 1, snapLength = 0, options = ''): string {
  return blk(1, half(linkType, order) + '0000' + word(snapLength, order) + options, order);
}
function epb(
  order: Order,
  iface: number,
  hi: number,
  lo: number,
  dataHex: string,
  options = '',
): string {
  const data = fromHex(dataHex);
  const padded = toHex(data) + '00'.repeat((4 - (data.length % 4)) % 4);
  return blk(
    6,
    word(iface, order) +
      word(hi, order) +
      word(lo, order) +
      word(data.length, order) +
      word(data.length, order) +
      padded +
      options,
    order,
  );
}

function read(hex: string | Uint8Array): { records: PcapRecord[]; info: ReturnType<typeof info> } {
  const result = readCapture(typeof hex === 'string' ? fromHex(hex) : hex);
  if (!result.ok) throw new Error(`${result.failure.code}: ${result.failure.message}`);
  return { records: [...result.value.records], info: info(result.value) };
}
function info(capture: { info: PcapReader['info'] }): PcapReader['info'] {
  return capture.info;
}
function failure(hex: string, options = {}): { code: string; message: string; offset?: number } {
  const result = readCapture(fromHex(hex), options);
  if (result.ok) throw new Error('expected a failure');
  return result.failure;
}

describe('pcapng', () => {
  it('reads a hand-made little-endian section: options, tsresol, flags, comments', () => {
    const { records, info } = read(LITTLE);
    expect(info.format).toBe('pcapng');
    expect(info.sections[0]).toMatchObject({
      byteOrder: 'little',
      versionMajor: 1,
      versionMinor: 0,
      sectionLength: -1n,
      userApplication: 'netrx',
      comments: ['hi'],
    });
    expect(info.interfaces[0]).toMatchObject({
      id: 0,
      linkType: 1,
      snapLength: 0,
      name: 'eth0',
      resolution: { base: 10, exponent: 9 },
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      interfaceId: 0,
      linkType: 1,
      timestamp: 5n,
      capturedLength: 3,
      originalLength: 5,
      comments: ['ping'],
      source: 'epb',
      flags: {
        direction: 'inbound',
        receptionType: 'unicast',
        fcsLength: 0,
        linkErrors: 0,
        raw: 5,
      },
    });
    expect([...records[0]!.data]).toEqual([1, 2, 3]);
    expect(records[0]!.data.buffer).toBe(LITTLE.buffer);
  });

  it('reads big-endian sections', () => {
    const { records, info } = read(
      shb('be') + idb('be', 228, 1500) + epb('be', 0, 0, 2_000_001, 'aa', opt(2, '00000002', 'be')),
    );
    expect(info.sections[0]!.byteOrder).toBe('big');
    expect(info.interfaces[0]).toMatchObject({ linkType: 228, snapLength: 1500 });
    expect(records[0]).toMatchObject({
      linkType: 228,
      timestamp: 2_000_001_000n,
      flags: { direction: 'outbound' },
    });
  });

  it('applies power-of-two and power-of-ten if_tsresol and if_tsoffset', () => {
    const { records, info } = read(
      shb() +
        idb('le', 1, 0, opt(9, '8a')) + // 2^-10 s
        idb('le', 1, 0, opt(9, '03') + opt(14, '0a00000000000000')) + // ms, +10 s
        idb('le', 1, 0, opt(9, '0c')) + // ps
        epb('le', 0, 0, 1536, '00') +
        epb('le', 1, 0, 250, '00') +
        epb('le', 2, 0, 1_500_000, '00'),
    );
    expect(info.interfaces.map((i) => i.resolution)).toEqual([
      { base: 2, exponent: 10 },
      { base: 10, exponent: 3 },
      { base: 10, exponent: 12 },
    ]);
    expect(info.interfaces[1]!.tsOffset).toBe(10n);
    expect(records.map((r) => r.timestamp)).toEqual([1_500_000_000n, 10_250_000_000n, 1_500n]);
    expect(records.map((r) => r.timestampUnits)).toEqual([1536n, 250n, 1_500_000n]);
    expect(records.map((r) => r.interfaceId)).toEqual([0, 1, 2]);
  });

  it('keeps interfaces per section, each section in its own byte order', () => {
    const { records, info } = read(
      shb('le') +
        idb('le', 1) +
        idb('le', 101) +
        epb('le', 1, 0, 0, '01') +
        shb('be') +
        idb('be', 113) +
        epb('be', 0, 0, 0, '02'),
    );
    expect(info.sections.map((s) => s.byteOrder)).toEqual(['little', 'big']);
    expect(info.sections.map((s) => s.interfaces.length)).toEqual([2, 1]);
    expect(info.interfaces.map((i) => [i.sectionIndex, i.id, i.linkType])).toEqual([
      [0, 0, 1],
      [0, 1, 101],
      [1, 0, 113],
    ]);
    expect(records.map((r) => [r.sectionIndex, r.interfaceId, r.linkType])).toEqual([
      [0, 1, 101],
      [1, 0, 113],
    ]);
  });

  it('reads Simple Packet Blocks, cutting to the interface snaplen', () => {
    const { records } = read(shb() + idb('le', 1, 2) + blk(3, '05000000 aabb0000'));
    expect(records[0]).toMatchObject({
      source: 'spb',
      capturedLength: 2,
      originalLength: 5,
      timestamp: undefined,
    });
    expect([...records[0]!.data]).toEqual([0xaa, 0xbb]);
  });

  it('reads the obsolete Packet Block with pack_flags', () => {
    const { records } = read(
      shb() +
        idb() +
        blk(2, '0000 0000 00000000 07000000 01000000 01000000 cc000000' + opt(2, '02000000')),
    );
    expect(records[0]).toMatchObject({
      source: 'pb',
      timestamp: 7000n,
      flags: { direction: 'outbound' },
    });
  });

  it('skips NRB, ISB, DSB, custom and unknown blocks by length; comments anywhere', () => {
    const { records, info } = read(
      shb('le', opt(1, '6131') + opt(1, '6132')) +
        idb('le', 1, 0, opt(1, '6966') + opt(3, '6465736372')) +
        blk(4, '0000 0000') + // NRB, end of records
        blk(5, '00000000 00000000 00000000') + // ISB
        blk(0x0a, '4b534c4b 00000000') + // DSB
        blk(0xbad, 'ffffffff 01020304') + // custom
        blk(0x40000bad, 'ffffffff') +
        blk(0x12345678, '') + // unknown, empty body
        epb('le', 0, 0, 0, '00', opt(1, 'c3a9') + opt(2988, '00000000') + opt(1, 'ff')),
    );
    expect(info.sections[0]!.comments).toEqual(['a1', 'a2']);
    expect(info.interfaces[0]).toMatchObject({ comments: ['if'], description: 'descr' });
    expect(records[0]!.comments).toEqual(['é', '\ufffd']);
    expect(records).toHaveLength(1);
  });

  it('reads version 1.2 as 1.0, as libpcap and Wireshark do', () => {
    expect(read(shb('le', '', 1, 2) + idb()).info.sections[0]!.versionMinor).toBe(2);
  });

  it('gives the same records whatever the chunking', () => {
    const whole = read(LITTLE).records;
    for (const size of [1, 3, 7, 64]) {
      const reader = new PcapReader();
      const got: PcapRecord[] = [];
      for (let at = 0; at < LITTLE.length; at += size) {
        reader.push(LITTLE.subarray(at, at + size));
        for (let r = reader.next(); r.kind === 'record'; r = reader.next()) got.push(r.record);
      }
      reader.end();
      expect(reader.next()).toEqual({ kind: 'end' });
      expect(got.map((r) => ({ ...r, data: [...r.data] }))).toEqual(
        whole.map((r) => ({ ...r, data: [...r.data] })),
      );
    }
  });

  describe('rejects malformed input', () => {
    const good = shb() + idb();
    it.each([
      ['version 2.0', shb('le', '', 2, 0), 'bad-version', /2\.0/],
      ['version 1.1', shb('le', '', 1, 1), 'bad-version', /1\.1/],
      ['version 0.1', shb('le', '', 0, 1), 'bad-version', /0\.1/],
      [
        'bad byte-order magic',
        '0a0d0d0a 1c000000 11223344 01000000 ffffffffffffffff 1c000000',
        'bad-byte-order',
        /11223344/,
      ],
      [
        'length not a multiple of 4',
        good + blk(5, '000000', 'le', 15),
        'bad-block-length',
        /multiple of 4/,
      ],
      [
        'SHB below minimum',
        '0a0d0d0a 18000000 4d3c2b1a 01000000 ffffffff 18000000',
        'bad-block-length',
        /at least 28/,
      ],
      [
        'EPB below minimum',
        good + blk(6, '00000000 00000000 00000000 00000000', 'le'),
        'bad-block-length',
        /at least 32/,
      ],
      [
        'trailing length differs',
        good + '05000000 10000000 00000000 14000000',
        'bad-block-length',
        /trailing length 20/,
      ],
      [
        'caplen beyond the block',
        good + blk(6, '00000000 00000000 00000000 08000000 08000000 00000000'),
        'bad-block-length',
        /claims 8 captured bytes but its block holds 4/,
      ],
      [
        'packet before any IDB',
        shb() + epb('le', 0, 0, 0, '00'),
        'unknown-interface',
        /before any IDB/,
      ],
      [
        'nonexistent interface',
        good + epb('le', 1, 0, 0, '00'),
        'unknown-interface',
        /interface 1; section 0 has 1/,
      ],
      ['SPB before any IDB', shb() + blk(3, '01000000 aa000000'), 'unknown-interface', /SPB/],
      [
        'option overrun',
        shb() + blk(1, '0100 0000 00000000 0200 0800 65746830'),
        'bad-option',
        /claims 8 bytes/,
      ],
      [
        'duplicate if_tsresol',
        shb() + idb('le', 1, 0, opt(9, '06') + opt(9, '09')),
        'bad-option',
        /more than once/,
      ],
      [
        'if_tsresol length',
        shb() + idb('le', 1, 0, opt(9, '0600')),
        'bad-option',
        /length 2, not 1/,
      ],
      [
        'if_tsoffset length',
        shb() + idb('le', 1, 0, opt(14, '00')),
        'bad-option',
        /length 1, not 8/,
      ],
      [
        'epb_flags length',
        good + epb('le', 0, 0, 0, '00', opt(2, '01')),
        'bad-option',
        /flags option has length 1/,
      ],
      ['truncated SHB', '0a0d0d0a 1c000000 4d3c2b1a 01000000 ffff', 'truncated', /inside a block/],
      ['truncated block', good + '06000000 40000000 00000000', 'truncated', /inside a block/],
    ])('%s', (_name, hex, code, message) => {
      const f = failure(hex);
      expect(f.code).toBe(code);
      expect(f.message).toMatch(message);
    });

    it('refuses oversized blocks before buffering them', () => {
      const reader = new PcapReader({ maxBlockLength: 64 });
      reader.push(fromHex(good + '06000000 00010000'));
      const result = reader.next();
      expect(result).toMatchObject({ kind: 'error', failure: { code: 'block-too-large' } });
      expect(failure(good + '06000000 f0ffffff').code).toBe('block-too-large');
    });

    it('refuses packets above maxPacketLength', () => {
      expect(
        failure(good + epb('le', 0, 0, 0, '00'.repeat(9)), { maxPacketLength: 8 }),
      ).toMatchObject({
        code: 'packet-too-large',
      });
    });

    it('bounds the interfaces and sections it remembers', () => {
      expect(failure(shb() + idb() + idb(), { maxInterfaces: 1 }).code).toBe('too-many-interfaces');
      expect(failure(shb() + shb(), { maxSections: 1 }).code).toBe('too-many-sections');
    });

    it('reports file offsets', () => {
      const f = failure(good + epb('le', 3, 0, 0, '00'));
      expect(f.offset).toBe(fromHex(good).length + 8);
    });
  });

  it('needs no more than the block to decide, and copies nothing for skipped blocks', () => {
    const bytes = fromHex(shb() + idb() + blk(0xbad, '00'.repeat(1000)) + epb('le', 0, 0, 0, 'ab'));
    const reader = new PcapReader();
    const chunks = [bytes.subarray(0, 100), bytes.subarray(100, 900), bytes.subarray(900)];
    const got: PcapRecord[] = [];
    for (const chunk of chunks) {
      reader.push(chunk);
      for (let r = reader.next(); r.kind === 'record'; r = reader.next()) got.push(r.record);
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.data.buffer).toBe(bytes.buffer);
    expect(concat([got[0]!.data])).toEqual(Uint8Array.of(0xab));
  });
});
