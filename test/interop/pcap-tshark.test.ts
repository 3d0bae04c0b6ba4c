/**
 * Files netrx writes, read by implementations nobody here wrote: tshark
 * (Wireshark's wiretap) and tcpdump (libpcap). Frame counts, lengths,
 * timestamps, comments and direction flags must come back as written, and
 * tshark's expert analysis must find no malformed frame.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/bytes/index.js';
import { PcapFileWriter, pcapInfo } from '../../src/node/link/index.js';
import type { Direction } from '../../src/wire/pcap/index.js';
import { lines, run, toolVersion } from './pcap-tools.js';
import { requirePeers } from './support/peers.js';

/** Versions these expectations were checked with. */
const RECORDED = {
  tshark: 'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).',
  tcpdump: 'tcpdump version 4.99.3',
};
const tshark = toolVersion('tshark', ['--version']);
const tcpdump = toolVersion('tcpdump', ['--version']);
const tsharkPeer = requirePeers('pcap-tshark.test.ts', [
  { name: 'tshark', ok: () => tshark !== undefined, hint: 'apt-get install -y tshark' },
]);
const tcpdumpPeer = requirePeers('pcap-tshark.test.ts', [
  { name: 'tcpdump', ok: () => tcpdump !== undefined, hint: 'apt-get install -y tcpdump' },
]);
for (const [name, seen] of [
  ['tshark', tshark],
  ['tcpdump', tcpdump],
] as const) {
  if (seen !== undefined && seen !== RECORDED[name]) {
    console.warn(`[netrx interop] ${name} is "${seen}"; checked with "${RECORDED[name]}"`);
  }
}

// Ethernet II / IPv4 / UDP frames written out by hand, with valid IPv4 and UDP
// checksums; ports 33333/44444 so that no application dissector claims them.
const FRAMES = [
  // 02:00:00:00:00:01 -> 02:00:00:00:00:02, 10.0.0.1:33333 -> 10.0.0.2:44444, "hello netrx"
  fromHex(`020000000002 020000000001 0800
    45000027 00014000 401126c3 0a000001 0a000002
    8235 ad9c 0013 1d29   68656c6c6f206e65747278`),
  // 10.0.0.2:44444 -> 10.0.0.1:33333, "reply from the other side!"
  fromHex(`020000000002 020000000001 0800
    45000036 00024000 401126b3 0a000002 0a000001
    ad9c 8235 0022 17e7   7265706c792066726f6d20746865206f74686572207369646521
  `),
  // 192.168.1.10:33333 -> 192.168.1.255:44444, 32 bytes 00..1f
  fromHex(`020000000002 020000000001 0800
    4500003c 00034000 4011b654 c0a8010a c0a801ff
    8235 ad9c 0028 5a71   000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f`),
];

interface Expected {
  readonly length: number;
  readonly captured: number;
  readonly comments: readonly string[];
  readonly direction: Direction | undefined;
  readonly timestamp: bigint;
}

interface Case {
  readonly file: string;
  readonly expected: readonly Expected[];
  /**
   * Whether tcpdump can read it: libpcap 1.10 cannot read pcapng sections of
   * different byte orders (the draft allows them; tshark reads them).
   */
  readonly tcpdump: boolean;
}

let dir: string;
const cases: Case[] = [];
const T0 = 1_700_000_000_000_000_000n;

function expect3(
  timestamps: readonly bigint[],
  extra: Partial<Expected>[] = [],
  snap = Infinity,
): Expected[] {
  return FRAMES.map((f, i) => ({
    length: f.length,
    captured: Math.min(f.length, snap),
    comments: [],
    direction: undefined,
    timestamp: timestamps[i]!,
    ...extra[i],
  }));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'netrx-pcap-interop-'));

  // pcap, microseconds, little-endian, SnapLen 64 (the third frame is cut).
  const usTimes = [T0 + 1_000n, T0 + 2_500_000n, T0 + 1_000_000_000n];
  let file = path.join(dir, 'udp-us-le.pcap');
  let w = await PcapFileWriter.open(file, { format: 'pcap', linkType: 1, snapLength: 64 });
  for (const [i, f] of FRAMES.entries()) await w.write({ timestamp: usTimes[i]!, data: f });
  await w.close();
  cases.push({ file, expected: expect3(usTimes, [], 64), tcpdump: true });

  // pcap, nanoseconds, big-endian.
  const nsTimes = [T0 + 1n, T0 + 999_999_999n, T0 + 5_000_000_007n];
  file = path.join(dir, 'udp-ns-be.pcap');
  w = await PcapFileWriter.open(file, {
    format: 'pcap',
    linkType: 1,
    nanoseconds: true,
    byteOrder: 'big',
  });
  for (const [i, f] of FRAMES.entries()) await w.write({ timestamp: nsTimes[i]!, data: f });
  await w.close();
  cases.push({ file, expected: expect3(nsTimes), tcpdump: true });

  // pcapng, one section, nanosecond interface, comments and both directions.
  file = path.join(dir, 'udp-ns.pcapng');
  w = await PcapFileWriter.open(file, { format: 'pcapng', comments: ['written by netrx'] });
  await w.addInterface({ linkType: 1, name: 'vx0', resolution: { base: 10, exponent: 9 } });
  const ngExtra: Partial<Expected>[] = [
    { direction: 'inbound', comments: ['first frame', 'second comment'] },
    { direction: 'outbound', comments: ['réponse'] },
    {},
  ];
  for (const [i, f] of FRAMES.entries()) {
    const extra = ngExtra[i]!;
    await w.write({
      timestamp: nsTimes[i]!,
      data: f,
      ...(extra.direction === undefined ? {} : { flags: { direction: extra.direction } }),
      comments: extra.comments ?? [],
    });
  }
  await w.close();
  cases.push({ file, expected: expect3(nsTimes, ngExtra), tcpdump: true });

  // pcapng, big-endian, two interfaces (µs and 2^-20 s), then a second section
  // appended in the same byte order.
  const binTimes = [T0 + 3_000n, T0 + 1_500_000_000n, T0 + 7_000_000_000n];
  file = path.join(dir, 'udp-sections-be.pcapng');
  w = await PcapFileWriter.open(file, { format: 'pcapng', byteOrder: 'big' });
  await w.addInterface({ linkType: 1, name: 'eth0', snapLength: 65535 });
  // libpcap needs every interface of a file to share one link type and snaplen.
  await w.addInterface({
    linkType: 1,
    name: 'eth1',
    snapLength: 65535,
    resolution: { base: 2, exponent: 20 },
  });
  await w.write({ timestamp: binTimes[0]!, data: FRAMES[0]!, flags: { direction: 'inbound' } });
  await w.write({ interfaceId: 1, timestamp: binTimes[1]!, data: FRAMES[1]! });
  await w.close();
  w = await PcapFileWriter.open(file, { format: 'pcapng', byteOrder: 'big', append: true });
  await w.addInterface({ linkType: 1, snapLength: 65535, tsOffset: 2n });
  await w.write({ timestamp: binTimes[2]!, data: FRAMES[2]!, comments: ['second section'] });
  await w.close();
  cases.push({
    file,
    expected: expect3(binTimes, [{ direction: 'inbound' }, {}, { comments: ['second section'] }]),
    tcpdump: true,
  });

  // pcapng whose second section is little-endian: tshark only.
  file = path.join(dir, 'udp-mixed-order.pcapng');
  w = await PcapFileWriter.open(file, { format: 'pcapng', byteOrder: 'big' });
  await w.addInterface({ linkType: 1 });
  await w.write({ timestamp: usTimes[0]!, data: FRAMES[0]! });
  await w.close();
  w = await PcapFileWriter.open(file, { format: 'pcapng', byteOrder: 'little', append: true });
  await w.addInterface({ linkType: 1, resolution: { base: 10, exponent: 9 } });
  await w.write({ timestamp: nsTimes[1]!, data: FRAMES[1]!, flags: { direction: 'outbound' } });
  await w.write({ timestamp: nsTimes[2]!, data: FRAMES[2]! });
  await w.close();
  cases.push({
    file,
    expected: expect3([usTimes[0]!, nsTimes[1]!, nsTimes[2]!], [{}, { direction: 'outbound' }]),
    tcpdump: false,
  });
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const names = [
  'udp-us-le.pcap',
  'udp-ns-be.pcap',
  'udp-ns.pcapng',
  'udp-sections-be.pcapng',
  'udp-mixed-order.pcapng',
];
const caseOf = (name: string): Case => cases.find((c) => path.basename(c.file) === name)!;

/** tshark's `frame.time_epoch` ("1700000000.000001000") as nanoseconds. */
function epochNs(text: string): bigint {
  const [seconds, fraction = ''] = text.split('.');
  return BigInt(seconds!) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

const DIRECTION_FLAG: Record<string, Direction | undefined> = {
  '': undefined,
  '0x00000000': undefined,
  '0x00000001': 'inbound',
  '0x00000002': 'outbound',
};

it.each(names)('netrx reads back %s', async (name) => {
  const c = caseOf(name);
  const summary = await pcapInfo(c.file);
  expect(summary.frames).toBe(c.expected.length);
  expect(summary.bytes).toBe(c.expected.reduce((n, e) => n + e.captured, 0));
});

describe.skipIf(tsharkPeer.skip)('tshark reads what netrx writes', () => {
  it('tshark is installed', () => {
    expect(tshark, 'tshark is required under CI=true').toBeDefined();
  });

  it.each(names)('%s: frames, lengths, timestamps, comments, direction', (name) => {
    const c = caseOf(name);
    const fields = [
      'frame.len',
      'frame.cap_len',
      'frame.time_epoch',
      'frame.packet_flags_direction',
    ];
    const result = run('tshark', [
      '-r',
      c.file,
      '-T',
      'fields',
      ...fields.flatMap((f) => ['-e', f]),
      '-E',
      'separator=/t',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const rows = lines(result.stdout).map((line) => {
      const [length, captured, time, direction] = line.split('\t');
      return {
        length: Number(length),
        captured: Number(captured),
        timestamp: epochNs(time!),
        direction: DIRECTION_FLAG[direction ?? ''],
      };
    });
    expect(rows).toEqual(
      c.expected.map(({ length, captured, timestamp, direction }) => ({
        length,
        captured,
        timestamp,
        direction,
      })),
    );
  });

  it.each(names)('%s: comments, and no malformed frames in the expert analysis', (name) => {
    const c = caseOf(name);
    const result = run('tshark', ['-r', c.file, '-z', 'expert', '-q']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/Malformed/);
    expect(result.stdout).not.toMatch(/^Errors \(/m);
    const comments = lines(result.stdout)
      .filter((l) => /^\s+\d+\s+Comment\s+Frame\s+/.test(l))
      .map((l) => l.replace(/^\s+\d+\s+Comment\s+Frame\s+/, ''))
      .sort();
    expect(comments).toEqual(c.expected.flatMap((e) => e.comments).sort());
  });
});

describe.skipIf(tcpdumpPeer.skip)('tcpdump (libpcap) reads what netrx writes', () => {
  it('tcpdump is installed', () => {
    expect(tcpdump, 'tcpdump is required under CI=true').toBeDefined();
  });

  it.each(names)('%s', (name) => {
    const c = caseOf(name);
    const result = run('tcpdump', ['-nn', '-r', c.file]);
    if (!c.tcpdump) {
      // libpcap 1.10 rejects a section whose byte order differs from the first one's.
      expect(result.status).not.toBe(0);
      return;
    }
    expect(result.status, result.stderr).toBe(0);
    const out = lines(result.stdout);
    expect(out).toHaveLength(c.expected.length);
    for (const [i, line] of out.entries()) {
      expect(line).toMatch(
        / IP \d+\.\d+\.\d+\.\d+\.\d+ > \d+\.\d+\.\d+\.\d+\.\d+: UDP, length \d+/,
      );
      expect(line).toContain(`UDP, length ${FRAMES[i]!.length - 42}`);
    }
  });
});
