/**
 * The extcap's pcapng stream and capture loop on crafted EVENT_BUFFERs:
 * loss reaches the file as an Interface Statistics Block even with no packet
 * after it, lands on the right packet, and counts only packet loss; hostile
 * timestamps and malformed buffers are counted drops, never the end of the
 * capture; real Windows ndiscap events (GFT trailer) decode as well as
 * netrx's own.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/index.js';
import { ExtcapPcapngStream } from '../../src/cli/commands/capture-extcap-format.js';
import { runExtcapCapture } from '../../src/cli/commands/capture-extcap.js';
import { packetFragment } from '../../src/cli/commands/capture-format.js';
import { SYNTHETIC_PROVIDER_GUID } from '../../src/capture/index.js';
import {
  FILETIME_UNIX_EPOCH,
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  encodeEventBuffer,
  parseEventBuffer,
  readCapture,
  type NetEventItem,
  type NetEventItemInit,
} from '../../src/wire/index.js';

const NDIS = NDIS_PACKET_CAPTURE_PROVIDER_GUID;
const T0 = FILETIME_UNIX_EPOCH + 17_000_000_000_000_000n; // 2023-11-14

/** An Ethernet/IPv4 frame of `length` bytes (IPv4 total length = length - 14). */
function frame(length: number, seq = 0): Uint8Array {
  const f = new Uint8Array(length);
  f.set([2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x00, 0x45], 0);
  new DataView(f.buffer).setUint16(16, length - 14);
  f[length - 1] = seq;
  return f;
}

/** netrx's 1001 layout: ifIndex, lower, size, fragment, OriginalSize. */
function netrxPacket(fragment: Uint8Array, original: number): Uint8Array {
  const u = new Uint8Array(12 + fragment.length + 4);
  const v = new DataView(u.buffer);
  v.setUint32(0, 7, true);
  v.setUint32(4, 7, true);
  v.setUint32(8, fragment.length, true);
  u.set(fragment, 12);
  v.setUint32(12 + fragment.length, original, true);
  return u;
}

/** Windows' 1001 layout on newer builds: ifIndex, lower, size, fragment, GftFlowEntryId, GftOffloadInformation. */
function windowsPacket(fragment: Uint8Array, gft: boolean): Uint8Array {
  const u = new Uint8Array(12 + fragment.length + (gft ? 16 : 0));
  const v = new DataView(u.buffer);
  v.setUint32(0, 12, true);
  v.setUint32(4, 13, true);
  v.setUint32(8, fragment.length, true);
  u.set(fragment, 12);
  if (gft) {
    v.setBigUint64(12 + fragment.length, 0x0000_0abc_dead_beefn, true);
    v.setBigUint64(20 + fragment.length, 0x1234n, true);
  }
  return u;
}

function packetEvent(
  userData: Uint8Array,
  more: { timeStamp?: bigint; keyword?: bigint; opcode?: number } = {},
): NetEventItemInit {
  return {
    kind: 'event',
    record: {
      providerId: NDIS,
      id: 1001,
      level: 4,
      opcode: more.opcode ?? 240,
      keyword: more.keyword ?? 0n,
      timeStamp: more.timeStamp ?? T0,
    },
    userData,
  };
}

const otherEvent: NetEventItemInit = {
  kind: 'event',
  record: { providerId: SYNTHETIC_PROVIDER_GUID, id: 1, timeStamp: T0 },
  userData: new Uint8Array(8),
};

function items(list: NetEventItemInit[]): NetEventItem[] {
  const parsed = parseEventBuffer(encodeEventBuffer(list));
  if (!parsed.ok) throw new Error(parsed.failure.message);
  return parsed.value;
}

/** Block types and, for ISBs, their u64 options by code (little-endian, hand-decoded). */
function blocksOf(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { type: number; isb?: Map<number, bigint>; dropCount?: bigint }[] = [];
  for (let at = 0; at < bytes.length;) {
    const type = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    const entry: (typeof out)[number] = { type };
    const optionsAt =
      type === 5 ? at + 20 : type === 6 ? at + 28 + ((view.getUint32(at + 20, true) + 3) & ~3) : -1;
    if (optionsAt > 0) {
      const options = new Map<number, bigint>();
      for (let o = optionsAt; o < at + length - 4;) {
        const code = view.getUint16(o, true);
        const size = view.getUint16(o + 2, true);
        if (code === 0) break;
        if (size === 8) options.set(code, view.getBigUint64(o + 4, true));
        o += 4 + ((size + 3) & ~3);
      }
      if (type === 5) entry.isb = options;
      else if (options.has(4)) entry.dropCount = options.get(4);
    }
    out.push(entry);
    at += length;
  }
  return out;
}

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('ExtcapPcapngStream: loss', () => {
  it('a loss no packet follows still reaches the file: an ISB with isb_ifdrop right after it, and at the end', () => {
    const stream = new ExtcapPcapngStream('test', undefined, () => 5_000_000_000n);
    const parts = [...stream.start()];
    parts.push(
      ...stream.buffer(
        items([
          packetEvent(netrxPacket(frame(60, 1), 60)),
          packetEvent(netrxPacket(frame(60, 2), 60)),
          { kind: 'lost', lostEventCount: 3 },
        ]),
      ),
    );
    parts.push(...stream.finish());
    const blocks = blocksOf(concat(parts));
    expect(blocks.map((b) => b.type)).toEqual([0x0a0d0d0a, 1, 6, 6, 5, 5]);
    for (const isb of [blocks[4]?.isb, blocks[5]?.isb]) {
      expect(isb?.get(5)).toBe(3n); // isb_ifdrop
      expect(isb?.get(4)).toBe(5n); // isb_ifrecv: 2 written + 3 lost
      expect(isb?.get(8)).toBe(2n); // isb_usrdeliv
    }
    expect(blocks[4]?.isb?.has(3)).toBe(false); // isb_endtime only in the closing ISB
    expect(blocks[5]?.isb?.has(3)).toBe(true);
    expect(stream.counters).toMatchObject({ packets: 2, lostPackets: 3, lostUnattributed: 0 });
    // netrx's reader reads the packets of a file with ISBs in it.
    const read = readCapture(concat(parts));
    expect(read.ok && read.value.records.length).toBe(2);
  });

  it('puts the drop count on the first packet after the loss, not before', () => {
    const stream = new ExtcapPcapngStream('test');
    const parts = [...stream.start()];
    parts.push(
      ...stream.buffer(
        items([packetEvent(netrxPacket(frame(60), 60)), { kind: 'lost', lostEventCount: 4 }]),
      ),
    );
    parts.push(...stream.buffer(items([packetEvent(netrxPacket(frame(60), 60))])));
    const epbs = blocksOf(concat(parts)).filter((b) => b.type === 6);
    expect(epbs.map((b) => b.dropCount)).toEqual([undefined, 4n]);
  });

  it("counts only packet loss: once another provider's events share the session, a loss is unattributed", () => {
    const stream = new ExtcapPcapngStream('test');
    const parts = [...stream.start()];
    parts.push(
      ...stream.buffer(
        items([
          packetEvent(netrxPacket(frame(60), 60)),
          { kind: 'lost', lostEventCount: 2 }, // packet-only so far: packet loss
        ]),
      ),
      ...stream.buffer(
        items([
          otherEvent,
          packetEvent(netrxPacket(frame(60), 60)),
          { kind: 'lost', lostEventCount: 5 },
        ]),
      ),
      ...stream.buffer(items([packetEvent(netrxPacket(frame(60), 60))])),
      ...stream.finish(),
    );
    const blocks = blocksOf(concat(parts));
    expect(blocks.filter((b) => b.type === 6).map((b) => b.dropCount)).toEqual([
      undefined,
      2n,
      undefined,
    ]);
    expect(blocks.at(-1)?.isb?.get(5)).toBe(2n);
    expect(stream.counters).toMatchObject({ lost: 7, lostPackets: 2, lostUnattributed: 5 });
    expect(stream.summary()).toContain('5 lost events of unknown provider');
  });
});

describe('ExtcapPcapngStream: hostile timestamps', () => {
  it.each([
    ['before 1970', FILETIME_UNIX_EPOCH - 1n, 0n],
    ['at FILETIME 0 (1601)', 0n, 0n],
    ['negative', -(2n ** 63n), 0n],
    ['past 2554', 2n ** 63n - 1n, 2n ** 64n - 1n],
  ])('a FILETIME %s is clamped and marked, never thrown', (_what, timeStamp, ns) => {
    const stream = new ExtcapPcapngStream('test');
    stream.start();
    const [item] = items([packetEvent(netrxPacket(frame(60), 60), { timeStamp })]);
    const block = stream.block(item as NetEventItem);
    expect(block).toBeDefined();
    const view = new DataView((block as Uint8Array).buffer);
    expect((BigInt(view.getUint32(12, true)) << 32n) | BigInt(view.getUint32(16, true))).toBe(ns);
    expect(new TextDecoder().decode(block)).toContain('timestamp clamped');
    expect(stream.counters.clampedTimestamps).toBe(1);
  });
});

describe('packet events: Windows ndiscap and netrx layouts', () => {
  it('reads a real Windows 1001 with the GFT u64s after the fragment: no OriginalSize misread', () => {
    const f = frame(128); // truncated: the IPv4 header says 1500 bytes on the wire
    new DataView(f.buffer).setUint16(16, 1500 - 14);
    const [item] = items([
      packetEvent(windowsPacket(f, true), { opcode: 0, keyword: 0x2_0000_0000n | 0xc000_0000n }),
    ]);
    const packet = packetFragment(item as NetEventItem);
    expect(packet).toMatchObject({
      ifIndex: 12,
      lowerIfIndex: 13,
      layout: 'windows-gft',
      originalLength: 1500, // inferred from IPv4, not 0xdeadbeef from GftFlowEntryId
      direction: 'inbound',
      linkType: 1,
    });
    expect(packet?.fragment).toEqual(f);
  });

  it('reads an older Windows 1001 (nothing after the fragment), Send by keyword', () => {
    const [item] = items([
      packetEvent(windowsPacket(frame(60), false), { opcode: 0, keyword: 0x1_0000_0000n }),
    ]);
    expect(packetFragment(item as NetEventItem)).toMatchObject({
      layout: 'windows',
      originalLength: 60,
      direction: 'outbound',
    });
  });

  it("keeps netrx's own layout: OriginalSize after the fragment, direction by opcode", () => {
    const [item] = items([packetEvent(netrxPacket(frame(128), 1400), { opcode: 9 })]);
    expect(packetFragment(item as NetEventItem)).toMatchObject({
      layout: 'netrx',
      originalLength: 1400,
      direction: 'outbound',
    });
  });
});

describe('runExtcapCapture: a malformed EVENT_BUFFER is a counted drop', () => {
  it('drops the bad buffer, logs it, writes the ISB that says so, and goes on capturing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ce-stream-')), 'out.pcapng');
    const good = (seq: number) => encodeEventBuffer([packetEvent(netrxPacket(frame(60, seq), 60))]);
    const queue = [
      good(1),
      Uint8Array.of(1, 2, 3),
      good(2),
      new Uint8Array(20).fill(0xff),
      good(3),
    ];
    const err: string[] = [];
    const logged: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((done) => (stop = done));
    const io: CliIo = {
      out: () => undefined,
      err: (l) => err.push(l),
      untilStopped: () => stopped,
    };
    let closed = false;
    let rejectWaiting: ((e: Error) => void) | undefined;
    const code = await runExtcapCapture(
      {
        fifo: file,
        server: 'fake',
        session: 's',
        filter: () => true,
        filtering: false,
        log: (line) => logged.push(line),
        connect: () =>
          Promise.resolve({
            open: () => Promise.resolve('h'),
            receive: () => {
              const next = queue.shift();
              if (next !== undefined) return Promise.resolve(next);
              stop();
              return new Promise<Uint8Array>((_, reject) => (rejectWaiting = reject));
            },
            close: () => {
              closed = true;
              return Promise.resolve();
            },
            end: () => rejectWaiting?.(new Error('ended')),
          }),
      },
      io,
    );
    expect(code).toBe(0);
    expect(closed).toBe(true);
    // Not stderr (Wireshark shows it as an error dialog): the debug log and the ISBs.
    expect(err).toEqual([]);
    expect(logged.filter((l) => l.includes('dropped a malformed EVENT_BUFFER'))).toHaveLength(2);
    expect(logged.at(-1)).toContain('2 bad EVENT_BUFFERs dropped');
    const bytes = new Uint8Array(readFileSync(file));
    const read = readCapture(bytes);
    expect(read.ok && read.value.records.map((r) => r.data.at(-1))).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(bytes)).toContain('2 malformed EVENT_BUFFERs dropped');
  });
});

describe('ExtcapPcapngStream: an ISB whenever the counters change, at most once a second', () => {
  it('writes the first change at once, holds later ones until a second has passed, skips no-change', () => {
    let now = 10_000_000_000n;
    const stream = new ExtcapPcapngStream('test', undefined, () => now);
    stream.start();
    const isbs = (blocks: Uint8Array[]) => blocksOf(concat(blocks)).filter((b) => b.type === 5);
    // No change yet: nothing to report.
    expect(stream.statisticsDueInMs()).toBeUndefined();
    expect(stream.statisticsIfDue()).toEqual([]);
    // Packets only (no loss): still a change, so an ISB (the old code wrote one only on loss).
    let first = isbs(stream.buffer(items([packetEvent(netrxPacket(frame(60, 1), 60))])));
    expect(first).toHaveLength(1);
    expect(first[0]?.isb?.get(8)).toBe(1n); // isb_usrdeliv
    now += 400_000_000n;
    const held = isbs(
      stream.buffer(
        items([packetEvent(netrxPacket(frame(60, 2), 60)), { kind: 'lost', lostEventCount: 4 }]),
      ),
    );
    expect(held).toEqual([]);
    expect(stream.statisticsDueInMs()).toBe(600);
    now += 599_000_000n;
    expect(stream.statisticsIfDue()).toEqual([]);
    now += 1_000_000n;
    first = isbs(stream.statisticsIfDue());
    expect(first).toHaveLength(1);
    expect(first[0]?.isb?.get(5)).toBe(4n); // isb_ifdrop: the held loss
    expect(first[0]?.isb?.get(4)).toBe(6n); // isb_ifrecv: 2 written + 4 lost
    expect(stream.statisticsDueInMs()).toBeUndefined();
    // Much later, with nothing new: no ISB.
    now += 10_000_000_000n;
    expect(stream.buffer(items([]))).toEqual([]);
  });
});

describe('runExtcapCapture: the last counts reach the file without the closing ISB', () => {
  it('a held ISB is written by the timer while the receive waits; nothing on stderr under loss', async () => {
    const { VirtualClock } = await import('../../src/testing/index.js');
    const clock = new VirtualClock(1_700_000_000_000);
    const file = join(mkdtempSync(join(tmpdir(), 'ce-isb-')), 'out.pcapng');
    const queue = [
      encodeEventBuffer([packetEvent(netrxPacket(frame(60, 1), 60))]),
      encodeEventBuffer([
        packetEvent(netrxPacket(frame(60, 2), 60)),
        { kind: 'lost', lostEventCount: 7 },
      ]),
    ];
    const err: string[] = [];
    const logged: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((done) => (stop = done));
    let waiting = false;
    let rejectWaiting: ((e: Error) => void) | undefined;
    const running = runExtcapCapture(
      {
        fifo: file,
        server: 'fake',
        session: 's',
        filter: () => true,
        filtering: false,
        clock,
        log: (line) => logged.push(line),
        connect: () =>
          Promise.resolve({
            open: () => Promise.resolve('h'),
            receive: () => {
              const next = queue.shift();
              if (next !== undefined) return Promise.resolve(next);
              waiting = true;
              return new Promise<Uint8Array>((_, reject) => (rejectWaiting = reject));
            },
            close: () => Promise.resolve(),
            end: () => rejectWaiting?.(new Error('ended')),
          }),
      },
      { out: () => undefined, err: (l) => err.push(l), untilStopped: () => stopped },
    );
    const lastIsb = () => {
      const isbs = blocksOf(new Uint8Array(readFileSync(file))).filter((b) => b.type === 5);
      return isbs.at(-1)?.isb;
    };
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
      expect(condition()).toBe(true);
    };
    await until(() => waiting);
    // The first buffer's ISB went out at once; the loss in the second is held (same second).
    await until(() => lastIsb()?.get(8) === 1n);
    expect(lastIsb()?.get(5)).toBe(0n);
    clock.advance(1_000);
    // As if tshark killed the extcap now: the file already holds the last counts.
    await until(() => lastIsb()?.get(5) === 7n);
    expect(lastIsb()?.get(4)).toBe(9n); // 2 written + 7 lost
    expect(lastIsb()?.has(3)).toBe(false); // not the closing ISB
    stop();
    clock.advance(500);
    expect(await running).toBe(0);
    expect(err).toEqual([]);
    expect(logged.at(-1)).toContain('7 lost packets');
  });
});

describe('runExtcapCapture: one ISB timer at a time, none left at exit', () => {
  it('buffers held within the same second arm one timer; it is cancelled when the fifo closes (M18)', async () => {
    const { VirtualClock } = await import('../../src/testing/index.js');
    // Only the ISB timer runs on this clock (the stop grace is a real, unref'd timeout).
    const clock = new VirtualClock(1_700_000_000_000);
    const file = join(mkdtempSync(join(tmpdir(), 'ce-isb1-')), 'out.pcapng');
    // Each buffer changes the counts: the first ISB goes out at once, the rest are held.
    const queue = [1, 2, 3, 4].map((seq) =>
      encodeEventBuffer([packetEvent(netrxPacket(frame(60, seq), 60))]),
    );
    let stop!: () => void;
    const stopped = new Promise<void>((done) => (stop = done));
    let waiting = false;
    let rejectWaiting: ((e: Error) => void) | undefined;
    const err: string[] = [];
    const running = runExtcapCapture(
      {
        fifo: file,
        server: 'fake',
        session: 's',
        filter: () => true,
        filtering: false,
        clock,
        connect: () =>
          Promise.resolve({
            open: () => Promise.resolve('h'),
            receive: () => {
              const next = queue.shift();
              if (next !== undefined) return Promise.resolve(next);
              waiting = true;
              return new Promise<Uint8Array>((_, reject) => (rejectWaiting = reject));
            },
            close: () => Promise.resolve(),
            end: () => rejectWaiting?.(new Error('ended')),
          }),
      },
      { out: () => undefined, err: (l) => err.push(l), untilStopped: () => stopped },
    );
    for (let i = 0; i < 500 && !waiting; i++) await new Promise((r) => setTimeout(r, 5));
    expect(waiting).toBe(true);
    // Three held changes, one timer (several would each write, and outlive the capture).
    expect(clock.pendingTimers).toBe(1);
    stop();
    expect(await running).toBe(0);
    // Nothing left to fire on a closed FileHandle or to keep the process alive.
    expect(clock.pendingTimers).toBe(0);
    const size = readFileSync(file).length;
    clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(file).length).toBe(size);
    expect(err).toEqual([]);
  });
});
