import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair } from '../testing/index.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Port.expect (property)', () => {
  it('under any chunking: the literal that ends first wins (ties: list order), and the bytes after it stay readable', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[a-c]{1,4}$/), { minLength: 1, maxLength: 4 }),
        fc.stringMatching(/^[a-d]{0,120}$/),
        fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 10 }),
        async (patterns, body, sizes) => {
          const stream = body + patterns[0];
          const ends = patterns.map((p) => {
            const at = stream.indexOf(p);
            return at < 0 ? Infinity : at + p.length;
          });
          const first = Math.min(...ends);
          const index = ends.indexOf(first);
          const clock = new VirtualClock();
          const { port, peer } = createPortPair({ clock });
          const waiting = port.expect(patterns);
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = sizes[i % sizes.length] as number;
            peer.write(stream.slice(at, at + size));
            at += size;
            await tick();
          }
          const match = await waiting;
          expect(match.index).toBe(index);
          expect(match.before + match.match).toBe(stream.slice(0, first));
          let rest = '';
          while (port.stats().queuedBytes > 0)
            rest += String.fromCharCode(...(await port.receive()));
          expect(rest).toBe(stream.slice(first));
        },
      ),
      { numRuns: 300 },
    );
  });
});
