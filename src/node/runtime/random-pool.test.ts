import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { transformSync } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from './crypto.js';
import { createRandomPool } from './random-pool.js';

/** A fill that writes the source's k-th byte as (k mod 255) + 1: never zero, so a zeroed byte is one handed out. */
function countingFill() {
  let produced = 0;
  const fills: number[] = [];
  return {
    fills,
    fill(block: Uint8Array) {
      fills.push(block.length);
      for (let i = 0; i < block.length; i++) block[i] = (produced++ % 255) + 1;
    },
  };
}

describe('createRandomPool', () => {
  it('hands each source byte out once, in order, refilling exactly when a draw does not fit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 512 }),
        fc.array(fc.integer({ min: 0, max: 16 }), { minLength: 1, maxLength: 200 }),
        (size, lengths) => {
          const source = countingFill();
          const pool = createRandomPool(source.fill, size);
          // The model: where the current fill began in the source, and how much of it is used.
          let fillStart = -size;
          let used = size;
          let lastIndex = -1;
          for (const n of lengths) {
            if (used + n > size) {
              fillStart += size;
              used = 0;
            }
            const into = new Uint8Array(n);
            pool.draw(into);
            const expected = Array.from(
              { length: n },
              (_, i) => ((fillStart + used + i) % 255) + 1,
            );
            expect([...into]).toEqual(expected);
            // Source positions only move forward: no two draws ever share a byte.
            if (n > 0) {
              expect(fillStart + used).toBeGreaterThan(lastIndex);
              lastIndex = fillStart + used + n - 1;
            }
            // What a caller got is gone from the pool.
            expect(pool.bytes.subarray(0, used + n).every((b) => b === 0)).toBe(true);
            used += n;
          }
          expect(source.fills).toEqual(new Array<number>(fillStart / size + 1).fill(size));
        },
      ),
    );
  });

  it('refuses a draw larger than the pool', () => {
    const pool = createRandomPool(() => {}, 8);
    expect(() => pool.draw(new Uint8Array(9))).toThrow(RangeError);
  });

  it('keeps its bytes in memory of its own thread, never a SharedArrayBuffer', () => {
    const pool = createRandomPool(() => {}, 8);
    expect(pool.bytes.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Object.prototype.toString.call(pool.bytes.buffer)).toBe('[object ArrayBuffer]');
  });

  it('gives a worker thread a pool of its own: draws there never repeat the main thread’s', async () => {
    // The worker runs this very module (transpiled), with node:crypto's fill, as nodeCrypto does.
    const source = transformSync(
      readFileSync(new URL('./random-pool.ts', import.meta.url), 'utf8'),
      {
        loader: 'ts',
        format: 'cjs',
      },
    ).code;
    const worker = new Worker(
      `const module = { exports: {} }; ${source}
       const { randomFillSync } = require('node:crypto');
       const pool = module.exports.createRandomPool((b) => randomFillSync(b), 8192);
       const out = [];
       for (let i = 0; i < 1000; i++) { const d = new Uint8Array(16); pool.draw(d); out.push(Buffer.from(d).toString('hex')); }
       require('node:worker_threads').parentPort.postMessage(out);`,
      { eval: true },
    );
    const fromWorker = await new Promise<string[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const fromMain = Array.from({ length: 1000 }, () =>
      Buffer.from(nodeCrypto.randomBytes(16)).toString('hex'),
    );
    expect(new Set([...fromWorker, ...fromMain]).size).toBe(2000);
  });
});
