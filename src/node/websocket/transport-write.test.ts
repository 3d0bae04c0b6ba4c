/**
 * `writeBatch`: how one turn's frames reach the socket. Joined into one
 * buffer below JOIN_BELOW on a socket, corked as they are on an HTTP/2
 * stream (`join: false`), and `done` runs once, after the last write.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeBatch } from './transport-write.js';

/** A Duplex recording each `_write`/`_writev` call's buffers (nothing to read). */
function recorder(): { stream: Duplex; calls: Uint8Array[][] } {
  const calls: Uint8Array[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
  });
  return { stream, calls };
}

const frames = (): Uint8Array[] => [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4, 5, 6)];

async function written(join: boolean): Promise<{ calls: Uint8Array[][]; doneRuns: number }> {
  const { stream, calls } = recorder();
  let doneRuns = 0;
  const finished = new Promise<void>((resolve) => {
    writeBatch(
      stream,
      frames(),
      6,
      () => {
        doneRuns++;
        resolve();
      },
      join,
    );
  });
  await finished;
  return { calls, doneRuns };
}

describe('writeBatch', () => {
  it('joins a small batch (6 bytes, under JOIN_BELOW) into one write on a socket', async () => {
    const { calls, doneRuns } = await written(true);
    expect(calls.map((c) => c.map((b) => [...b]))).toEqual([[[1, 2, 3, 4, 5, 6]]]);
    expect(doneRuns).toBe(1);
  });

  it('hands an HTTP/2 stream the frames unjoined, in one corked writev', async () => {
    const { calls, doneRuns } = await written(false);
    expect(calls.map((c) => c.map((b) => [...b]))).toEqual([[[1, 2], [3], [4, 5, 6]]]);
    expect(doneRuns).toBe(1);
  });
});
