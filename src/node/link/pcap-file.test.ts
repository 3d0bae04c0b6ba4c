import { spawnSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../bytes/index.js';
import { NetrxError } from '../../runtime/index.js';
import { decodePayload, TraceRegistry } from '../../trace/index.js';
import { systemClock } from '../runtime/index.js';
import type { PcapRecord } from '../../wire/pcap/index.js';
import { PcapFileError, PcapFileWriter, pcapInfo, readPcapFile } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netrx-pcap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(path: string, chunkSize?: number): Promise<PcapRecord[]> {
  const records: PcapRecord[] = [];
  for await (const record of readPcapFile(path, chunkSize === undefined ? {} : { chunkSize })) {
    records.push(record);
  }
  return records;
}

describe('pcap files on disk', () => {
  it('writes pcapng and reads it back in tiny chunks', async () => {
    const path = join(dir, 'a.pcapng');
    const writer = await PcapFileWriter.open(path, { format: 'pcapng' });
    expect(await writer.addInterface({ linkType: 1, name: 'vx0' })).toBe(0);
    expect(
      await writer.addInterface({ linkType: 101, resolution: { base: 10, exponent: 9 } }),
    ).toBe(1);
    await writer.write({
      timestamp: 1_000_000n,
      data: fromHex('0102'),
      flags: { direction: 'inbound' },
    });
    await writer.write({ interfaceId: 1, timestamp: 5n, data: fromHex('450000'), comments: ['c'] });
    await writer.close();
    await writer.close();
    const records = await collect(path, 5);
    expect(records.map((r) => [r.interfaceId, r.timestamp, [...r.data]])).toEqual([
      [0, 1_000_000n, [1, 2]],
      [1, 5n, [0x45, 0, 0]],
    ]);
    expect(await pcapInfo(path)).toEqual({
      format: 'pcapng',
      linkTypes: [1, 101],
      frames: 2,
      bytes: 5,
    });
  });

  it('appends: a new pcapng section, or more records to a matching pcap', async () => {
    const ng = join(dir, 'b.pcapng');
    for (let i = 0; i < 2; i++) {
      const w = await PcapFileWriter.open(ng, { format: 'pcapng', append: true });
      await w.addInterface({ linkType: 1 + i });
      await w.write({ timestamp: 0n, data: new Uint8Array(10) });
      await w.close();
    }
    expect(await pcapInfo(ng)).toEqual({
      format: 'pcapng',
      linkTypes: [1, 2],
      frames: 2,
      bytes: 20,
    });

    const classic = join(dir, 'c.pcap');
    for (let i = 0; i < 3; i++) {
      const w = await PcapFileWriter.open(classic, { format: 'pcap', linkType: 1, append: true });
      await w.write({ timestamp: BigInt(i) * 1000n, data: new Uint8Array(i + 1) });
      await w.close();
    }
    expect(await pcapInfo(classic)).toEqual({
      format: 'pcap',
      linkTypes: [1],
      frames: 3,
      bytes: 6,
    });

    await expect(
      PcapFileWriter.open(classic, { format: 'pcap', linkType: 101, append: true }),
    ).rejects.toMatchObject({ code: 'ERR_PCAP_APPEND' });
    await expect(
      PcapFileWriter.open(classic, { format: 'pcapng', append: true }),
    ).rejects.toMatchObject({
      code: 'ERR_PCAP_APPEND',
    });
  });

  it('refuses pcapng-only features in a pcap file', async () => {
    const w = await PcapFileWriter.open(join(dir, 'd.pcap'), { format: 'pcap', linkType: 1 });
    expect(() => w.write({ timestamp: 0n, data: new Uint8Array(1), comments: ['x'] })).toThrow(
      RangeError,
    );
    await expect(w.addInterface({ linkType: 1 })).rejects.toThrow(RangeError);
    await w.close();
  });

  it('rejects a malformed file with a one-line coded reason, after the good records', async () => {
    const path = join(dir, 'bad.pcap');
    await writeFile(
      path,
      fromHex(`d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000
        00000000 00000000 01000000 01000000 aa
        00000000 00000000 10000000 10000000 0102`),
    );
    const seen: number[] = [];
    const error = await (async () => {
      try {
        for await (const r of readPcapFile(path)) seen.push(r.capturedLength);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(seen).toEqual([1]);
    expect(error).toBeInstanceOf(PcapFileError);
    expect((error as PcapFileError).code).toBe('ERR_PCAP_INVALID');
    expect((error as PcapFileError).failure.code).toBe('truncated');
    expect((error as PcapFileError).message).not.toContain('\n');
    await expect(pcapInfo(path)).rejects.toBeInstanceOf(PcapFileError);

    await writeFile(join(dir, 'empty'), new Uint8Array(0));
    await expect(pcapInfo(join(dir, 'empty'))).rejects.toMatchObject({ code: 'ERR_PCAP_INVALID' });
    await expect(pcapInfo(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ERR_PCAP_OPEN' });
    await expect(pcapInfo(join(dir, 'missing'))).rejects.toBeInstanceOf(NetrxError);
  });

  it('stops when aborted and validates its chunk size', async () => {
    const path = join(dir, 'e.pcap');
    const w = await PcapFileWriter.open(path, { format: 'pcap', linkType: 1 });
    await w.write({ timestamp: 0n, data: new Uint8Array(4) });
    await w.close();
    const controller = new AbortController();
    controller.abort();
    await expect(pcapInfo(path, { signal: controller.signal })).rejects.toThrow();
    expect(() => readPcapFile(path, { chunkSize: 0 })).toThrow(RangeError);
  });
});

/** A FIFO whose reader takes the header and then goes away, so the next write fails (EPIPE). */
function vanishingReader(path: string): { header: Promise<Uint8Array> } {
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  const reader = open(path, 'r'); // blocks (in the thread pool) until the writer opens
  return {
    header: (async () => {
      const handle = await reader;
      const buffer = new Uint8Array(4096);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      await handle.close();
      return buffer.subarray(0, bytesRead);
    })(),
  };
}

describe('PcapFileWriter: bounded, batched, and loud about failures', () => {
  it('writes a burst of records in a few writes, not one per record', async () => {
    const path = join(dir, 'burst.pcap');
    const w = await PcapFileWriter.open(path, { format: 'pcap', linkType: 1 });
    for (let i = 0; i < 500; i++) w.record({ timestamp: BigInt(i), data: new Uint8Array(60) });
    await w.close();
    // accepted counts frames (what the file holds); acceptedBlocks the header too.
    expect(w.stats()).toMatchObject({ accepted: 500, acceptedBlocks: 501, pendingBytes: 0 });
    // The header; then the burst in one write.
    expect(w.stats().writes).toBe(2);
    expect((await pcapInfo(path)).frames).toBe(500);
  });

  it('drops and counts records past its byte limit instead of queueing them without bound', async () => {
    const path = join(dir, 'bounded.pcap');
    const trace = new TraceRegistry({ clock: systemClock });
    const events: unknown[] = [];
    trace.enable('netrx-link', (event) => {
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) events.push({ name: event.descriptor.name, ...decoded.values });
    });
    const w = await PcapFileWriter.open(path, {
      format: 'pcap',
      linkType: 1,
      maxPendingBytes: 1000,
      trace,
    });
    // Each record: 16-byte header + 84 bytes = 100 bytes.
    const kept = Array.from({ length: 30 }, (_, i) =>
      w.record({ timestamp: BigInt(i), data: new Uint8Array(84) }),
    ).filter(Boolean).length;
    expect(kept).toBe(10);
    await w.flush();
    expect(w.record({ timestamp: 99n, data: new Uint8Array(84) })).toBe(true);
    await w.close();
    expect(w.stats().dropped).toEqual({ backlog: 20, afterError: 0 });
    expect((await pcapInfo(path)).frames).toBe(11);
    expect(events).toEqual([
      { name: 'CaptureBacklogFull', file: path, pendingBytes: 1000, limit: 1000 },
    ]);
    await expect(
      PcapFileWriter.open(join(dir, 'x.pcap'), { format: 'pcap', linkType: 1, maxPendingBytes: 0 }),
    ).rejects.toThrow(RangeError);
  });

  it('reports a write failure once (callback, trace, flush, close) and counts what it lost', async () => {
    const path = join(dir, 'gone.fifo');
    const { header } = vanishingReader(path);
    const trace = new TraceRegistry({ clock: systemClock });
    const events: string[] = [];
    trace.enable('netrx-link', (event) => {
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) events.push(`${event.descriptor.name}: ${String(decoded.values['message'])}`);
    });
    const errors: NetrxError[] = [];
    const w = await PcapFileWriter.open(path, {
      format: 'pcap',
      linkType: 1,
      trace,
      onError: (error) => errors.push(error),
    });
    expect((await header).length).toBe(24);
    expect(w.record({ timestamp: 1n, data: new Uint8Array(60) })).toBe(true);
    await expect(w.flush()).rejects.toMatchObject({
      code: 'ERR_PCAP_WRITE',
      message: `Cannot write to ${path}: EPIPE`,
    });
    expect(w.record({ timestamp: 2n, data: new Uint8Array(60) })).toBe(false);
    await expect(w.write({ timestamp: 3n, data: new Uint8Array(60) })).rejects.toMatchObject({
      code: 'ERR_PCAP_WRITE',
    });
    await expect(w.close()).rejects.toMatchObject({ code: 'ERR_PCAP_WRITE' });
    expect(errors.map((e) => e.message)).toEqual([`Cannot write to ${path}: EPIPE`]);
    expect(events).toEqual([`CaptureWriteFailed: Cannot write to ${path}: EPIPE`]);
    expect(w.stats()).toMatchObject({
      accepted: 1,
      acceptedBlocks: 2,
      dropped: { backlog: 0, afterError: 3 },
      error: `Cannot write to ${path}: EPIPE`,
    });
  });
});
