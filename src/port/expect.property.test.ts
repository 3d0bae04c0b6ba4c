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

  const REGEXES: readonly (readonly RegExp[])[] = [
    [/speed (\d+)/],
    [/a(b+)c?/, /(\d+)\s*ms/],
    [/x[a-c]*/, /speed (\d+)/],
  ];

  /** Delivers `stream` in chunks of `sizes` (one chunk when empty) and returns the match and what stayed queued. */
  async function deliver(
    patterns: readonly RegExp[],
    stream: string,
    sizes: readonly number[],
    lineComplete: boolean,
  ) {
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const waiting = port.expect(patterns, { lineComplete });
    let at = 0;
    for (let i = 0; at < stream.length; i++) {
      const size = sizes.length === 0 ? stream.length : (sizes[i % sizes.length] as number);
      peer.write(stream.slice(at, at + size));
      at += size;
      await tick();
    }
    const match = await waiting;
    let rest = '';
    while (port.stats().queuedBytes > 0) rest += String.fromCharCode(...(await port.receive()));
    return { ...match, rest };
  }

  it('lineComplete: a regex result (index, match, groups, before, what stays queued) does not depend on chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REGEXES),
        fc.array(fc.stringMatching(/^[abcx0-9 ms]{0,12}$/), { maxLength: 6 }),
        fc.constantFrom('\r\n', '\n', '\r'),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 10 }),
        async (patterns, lines, eol, sizes) => {
          // The last line always matches the first pattern; more lines follow it.
          const stream = [...lines, 'speed 115200 abbbc x12ms', 'tail'].join(eol) + eol;
          const whole = await deliver(patterns, stream, [], true);
          const chunked = await deliver(patterns, stream, sizes, true);
          expect(chunked).toEqual(whole);
          expect(whole.before + whole.match + whole.rest).toBe(stream);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lineComplete: "speed 11" + "5200\\r\\n" gives 115200; without it, what has arrived (pexpect\'s behaviour)', async () => {
    const chunks = ['speed 11', '5200\r\n'];
    const complete = await deliver([/speed (\d+)/], chunks.join(''), [8, 6], true);
    expect(complete.groups).toEqual(['115200']);
    expect(complete.rest).toBe('\r\n');
    const arrived = await deliver([/speed (\d+)/], chunks.join(''), [8, 6], false);
    expect(arrived.groups).toEqual(['11']);
    expect(arrived.rest).toBe('5200\r\n');
  });
});
