import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair } from '../../testing/index.js';
import { runChat } from './runner.js';
import { parseChatArgs } from './script.js';

const quiet = { log: () => {}, stderr: () => {}, report: () => {} };
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runChat (property)', () => {
  it('finds the expect at its first occurrence under any chunking and leaves exactly the bytes after it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-d]{1,6}$/),
        fc.stringMatching(/^[a-e\r\n]{0,300}$/),
        fc.stringMatching(/^[a-e\r\n]{0,40}$/),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        async (pattern, noise, tail, sizes, verbose) => {
          const stream = noise + pattern + tail;
          const first = stream.indexOf(pattern) + pattern.length;
          const clock = new VirtualClock();
          const { port, peer } = createPortPair({ clock });
          const running = runChat(port, parseChatArgs([pattern]), {
            clock,
            verbose,
            toStderr: true,
            output: quiet,
          });
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = sizes[i % sizes.length] as number;
            peer.write(stream.slice(at, at + size));
            at += size;
            await tick();
          }
          const result = await running;
          expect(result.exitCode).toBe(0);
          let rest = '';
          while (port.stats().queuedBytes > 0) {
            rest += String.fromCharCode(...(await port.receive()));
          }
          expect(rest).toBe(stream.slice(first));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('50 MB of unmatched input: bounded memory, then exit 2 when the line hangs up', async () => {
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const running = runChat(port, parseChatArgs(['ABORT', 'NO CARRIER', 'NEVER-THERE', '']), {
      clock,
      verbose: true,
      toStderr: true,
      timeoutSeconds: 0,
      pacing: 'fast',
      output: quiet,
    });
    const block = new Uint8Array(64 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = 0x41 + (i % 23);
    for (let i = 0; i < 3; i++) {
      peer.write(block);
      await tick();
    }
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let sent = 0; sent < 50 * 1024 * 1024; sent += block.length) {
      peer.write(block);
      await tick();
      expect(port.stats().queuedBytes).toBeLessThanOrEqual(64 * 1024);
    }
    const ms = performance.now() - started;
    peer.hangUp();
    expect((await running).exitCode).toBe(2);
    // The window is 1024 bytes and each automaton a few bytes: nothing grows with the input.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
    console.info(`50 MB through an unmatched expect (with -v logging): ${ms.toFixed(0)} ms`);
  }, 120_000);
});
