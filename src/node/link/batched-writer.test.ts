import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatchedWriter, type WriteTarget } from './batched-writer.js';

/** A target whose writes complete only when the test says so. */
function manualTarget(options: { shortWrites?: boolean } = {}) {
  const calls: Uint8Array[][] = [];
  const written: number[] = [];
  const pending: { resolve: (n: number) => void; reject: (e: unknown) => void; size: number }[] =
    [];
  const target: WriteTarget = {
    writev(chunks) {
      calls.push([...chunks]);
      const size = chunks.reduce((n, c) => n + c.length, 0);
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject, size }));
    },
  };
  const complete = () => {
    const next = pending.shift();
    if (next === undefined) throw new Error('no write in flight');
    const count = options.shortWrites === true ? Math.max(1, next.size >> 1) : next.size;
    const chunks = calls[calls.length - 1] ?? [];
    let left = count;
    for (const chunk of chunks) {
      for (const byte of chunk.subarray(0, Math.min(left, chunk.length))) written.push(byte);
      left -= Math.min(left, chunk.length);
    }
    next.resolve(count);
  };
  const fail = (error: unknown) => pending.shift()?.reject(error);
  return { target, calls, written, complete, fail, inFlight: () => pending.length };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedWriter', () => {
  it('writes a burst in one call, and what arrives meanwhile in the next', async () => {
    const t = manualTarget();
    const writer = new BatchedWriter(t.target, { maxPendingBytes: 1 << 20 });
    for (let i = 0; i < 100; i++) expect(writer.push(Uint8Array.of(i))).toBe(true);
    expect(t.calls.length).toBe(0); // starts on the next turn, so the whole burst is one write
    await turn();
    expect(t.calls.map((c) => c.length)).toEqual([100]);
    for (let i = 100; i < 150; i++) writer.push(Uint8Array.of(i));
    await turn();
    expect(t.calls.length).toBe(1); // one write in flight at most
    const flushed = writer.flush();
    t.complete();
    await turn();
    expect(t.calls.map((c) => c.length)).toEqual([100, 50]);
    t.complete();
    await flushed;
    expect(t.written).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(writer.stats()).toEqual({
      accepted: 150,
      writtenBytes: 150,
      pendingBytes: 0,
      writes: 2,
      dropped: { backlog: 0, afterError: 0 },
    });
  });

  it('refuses past its byte limit, counts it, and says so once per run of drops', async () => {
    const t = manualTarget();
    const full: number[] = [];
    const writer = new BatchedWriter(t.target, {
      maxPendingBytes: 10,
      onBacklogFull: (pending) => full.push(pending),
    });
    const results = Array.from({ length: 6 }, () => writer.push(new Uint8Array(3)));
    expect(results).toEqual([true, true, true, false, false, false]);
    expect(full).toEqual([9]);
    expect(writer.pendingBytes).toBe(9);
    await turn();
    expect(writer.push(new Uint8Array(3))).toBe(false); // in flight still counts
    t.complete();
    await writer.flush();
    expect(writer.push(new Uint8Array(3))).toBe(true);
    expect(writer.push(new Uint8Array(8))).toBe(false);
    expect(full).toEqual([9, 3]);
    expect(writer.stats().dropped).toEqual({ backlog: 5, afterError: 0 });
  });

  it('reports the first failure once, loses what was pending, refuses the rest and rejects flush', async () => {
    const t = manualTarget();
    const errors: unknown[] = [];
    const writer = new BatchedWriter(t.target, {
      maxPendingBytes: 100,
      onError: (e) => errors.push(e),
    });
    writer.push(new Uint8Array(4));
    await turn();
    writer.push(new Uint8Array(4)); // queued behind the write that fails
    const flushed = writer.flush();
    t.fail(new Error('ENOSPC'));
    await expect(flushed).rejects.toThrow('ENOSPC');
    expect(writer.push(new Uint8Array(1))).toBe(false);
    await expect(writer.flush()).rejects.toThrow('ENOSPC');
    expect(errors).toHaveLength(1);
    expect(writer.stats()).toMatchObject({
      accepted: 2,
      writtenBytes: 0,
      pendingBytes: 0,
      dropped: { backlog: 0, afterError: 3 },
      error: 'ENOSPC',
    });
  });

  it('goes on after short writes until every byte is out, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 2000 }),
        async (chunks, limit) => {
          const t = manualTarget({ shortWrites: true });
          const writer = new BatchedWriter(t.target, { maxPendingBytes: limit });
          const kept = chunks.filter((chunk) => writer.push(chunk));
          const expected = kept.flatMap((chunk) => [...chunk]);
          const flushed = writer.flush();
          for (let guard = 0; guard < 10_000 && writer.stats().writtenBytes < expected.length;) {
            await turn();
            while (t.inFlight() > 0) {
              t.complete();
              guard++;
              await Promise.resolve();
            }
          }
          await flushed;
          expect(t.written).toEqual(expected);
          expect(writer.stats().dropped.backlog).toBe(chunks.length - kept.length);
          expect(writer.stats().pendingBytes).toBe(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a limit that is not a positive integer', () => {
    const t = manualTarget();
    expect(() => new BatchedWriter(t.target, { maxPendingBytes: 0 })).toThrow(RangeError);
  });
});
