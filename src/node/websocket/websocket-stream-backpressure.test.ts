/**
 * Issue 15's backpressure proof for `WebSocketStream`, both roles: a
 * writer to a peer whose reader does not read sees `write()` stop
 * resolving once the queues and the kernel's buffers are full, the
 * reading side's socket is paused (its readable queue is at the high-water
 * mark), and memory stays flat; once the reader reads, every message
 * arrives in order and every write resolves.
 *
 * Real loopback sockets, so a stall is seen in real time: the test polls
 * until the count of completed writes stops changing for a while (no fixed
 * sleep decides the outcome; the poll only ends the wait).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from './websocket.js';
import { WebSocketStream } from './websocket-stream.js';
import { streamServer } from './websocket-stream-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MESSAGE_BYTES = 16 * 1024;
/** What a writer without backpressure would have queued by the end: 64 MiB. */
const MESSAGES_OFFERED_AT_MOST = 4096;

// A full collection before each measure, so garbage does not read as growth.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** JS-held memory after a full collection: the heap and the ArrayBuffers outside it. */
function heldBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Resolves once `count()` has not changed for `quietMs`. */
async function untilSteady(count: () => number, quietMs: number): Promise<void> {
  let last = -1;
  let since = Date.now();
  for (;;) {
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function message(index: number): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES).fill(index & 0xff);
  new DataView(bytes.buffer).setUint32(0, index);
  return bytes;
}

describe.each(['client', 'server'] as const)(
  'WebSocketStream backpressure: the %s writes',
  (writerRole) => {
    it('write() stalls at the high-water mark against a reader that does not read; memory stays flat', async () => {
      const s = await streamServer({}, { readableHighWaterMark: 32 * 1024 });
      cleanups.push(() => s.close());
      const client = new WebSocketStream(s.url, { readableHighWaterMark: 32 * 1024 });
      cleanups.push(() => client.close());
      const accepted = await s.next();
      const serverStream = accepted.stream;
      const writing = writerRole === 'client' ? client : serverStream;
      const reading = writerRole === 'client' ? serverStream : client;
      // The reading side's connection, to see whether it is paused.
      let readingRaw: WebSocket | undefined;
      if (writerRole === 'client') readingRaw = accepted.raw;
      const { writable } = await writing.opened;
      const { readable } = await reading.opened;
      const writer = writable.getWriter();

      const before = heldBytes();
      const beforeRss = process.memoryUsage().rss;
      let offered = 0;
      let completed = 0;
      let stop = false;
      const writes: Promise<void>[] = [];
      const producing = (async () => {
        while (!stop && offered < MESSAGES_OFFERED_AT_MOST) {
          await writer.ready;
          if (stop) break;
          const index = offered++;
          writes.push(writer.write(message(index)).then(() => void completed++));
        }
      })();
      await untilSteady(() => completed, 400);
      const stalledAt = completed;
      const grown = heldBytes() - before;
      const rssGrown = process.memoryUsage().rss - beforeRss;
      console.log(
        `${writerRole} writes: stalled after ${stalledAt} writes (${(stalledAt * MESSAGE_BYTES) / 1048576} MiB, ` +
          `the rest in kernel buffers and queues); JS memory +${(grown / 1048576).toFixed(1)} MiB, rss +${(rssGrown / 1048576).toFixed(1)} MiB`,
      );
      // Stalled: far from everything went out, and the producer waits on ready.
      expect(offered).toBeLessThan(MESSAGES_OFFERED_AT_MOST);
      expect(stalledAt).toBeLessThan(offered);
      expect(writer.desiredSize).toBeLessThanOrEqual(0);
      // Only the high-water marks' worth waits in JS: nothing near the 64 MiB offered.
      expect(offered - stalledAt).toBeLessThanOrEqual(8);
      expect(grown).toBeLessThan(16 * 1024 * 1024);
      expect(rssGrown).toBeLessThan(64 * 1024 * 1024);
      // The reader's full queue paused its connection: its socket is not read.
      if (readingRaw !== undefined) expect(readingRaw.isPaused).toBe(true);

      stop = true;
      const reader = readable.getReader();
      for (let i = 0; i < offered; i++) {
        const { value, done } = await reader.read();
        expect(done).toBe(false);
        const bytes = value as Uint8Array;
        expect(bytes.byteLength).toBe(MESSAGE_BYTES);
        expect(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)).toBe(i);
      }
      await producing;
      await Promise.all(writes);
      expect(completed).toBe(offered);
      if (readingRaw !== undefined) expect(readingRaw.isPaused).toBe(false);
    }, 60_000);
  },
);
