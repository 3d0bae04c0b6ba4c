import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TELNET, TelnetFilter, telnetEscape } from './telnet.js';

const { IAC, DO, DONT, WILL, WONT, SB, SE } = TELNET;

function filter(bytes: number[]): { data: number[]; replies: number[]; f: TelnetFilter } {
  const f = new TelnetFilter();
  const data: number[] = [];
  for (const b of bytes) {
    const d = f.step(b);
    if (d >= 0) data.push(d);
  }
  return { data, replies: [...(f.takeReplies() ?? [])], f };
}

describe('TelnetFilter', () => {
  it('refuses every option: DO → WONT, WILL → DONT, DONT/WONT unanswered', () => {
    const { data, replies, f } = filter([
      0x61,
      IAC, DO, 1, // echo
      IAC, WILL, 3, // suppress go-ahead
      IAC, DONT, 5,
      IAC, WONT, 24,
      0x62,
    ]); // prettier-ignore
    expect(data).toEqual([0x61, 0x62]);
    expect(replies).toEqual([IAC, WONT, 1, IAC, DONT, 3]);
    expect(f.refused).toBe(2);
    expect(f.takeReplies()).toBeUndefined();
  });

  it('IAC IAC is one 0xFF data byte; NOP, GA and subnegotiations are dropped', () => {
    const { data, replies } = filter([
      IAC, IAC, 0x41,
      IAC, 241, IAC, 249, // NOP, GA
      IAC, SB, 24, 1, IAC, IAC, 2, IAC, SE, // terminal type, with an escaped 0xFF inside
      0x42,
    ]); // prettier-ignore
    expect(data).toEqual([0xff, 0x41, 0x42]);
    expect(replies).toEqual([]);
  });

  it('abandons a subnegotiation longer than its bound, so data resumes', () => {
    const long = [IAC, SB, 24, ...Array<number>(TelnetFilter.MAX_SUBNEGOTIATION + 10).fill(0x20)];
    const { data } = filter([...long, 0x43]);
    expect(data.length).toBeGreaterThan(0);
    expect(data.at(-1)).toBe(0x43);
  });

  it('telnetEscape doubles 0xFF and leaves other bytes alone', () => {
    expect([...telnetEscape(Uint8Array.from([1, 0xff, 2]))]).toEqual([1, 0xff, 0xff, 2]);
    const plain = Uint8Array.from([1, 2]);
    expect(telnetEscape(plain)).toBe(plain);
  });

  it('(property) escaped data with commands mixed in comes back as the data', () => {
    const command = fc.oneof(
      fc
        .tuple(fc.constantFrom(DO, DONT, WILL, WONT), fc.integer({ min: 0, max: 255 }))
        .map(([c, o]) => [IAC, c, o]),
      fc.constantFrom([IAC, 241], [IAC, 249]),
      fc
        .array(fc.integer({ min: 0, max: 254 }), { maxLength: 20 })
        .map((body) => [IAC, SB, ...body, IAC, SE]),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 255 }).map((b) => ({ data: b })),
            command.map((c) => ({ command: c })),
          ),
          { maxLength: 80 },
        ),
        (parts) => {
          const stream: number[] = [];
          const expected: number[] = [];
          for (const part of parts) {
            if ('data' in part) {
              stream.push(...telnetEscape(Uint8Array.of(part.data)));
              expected.push(part.data);
            } else stream.push(...part.command);
          }
          expect(filter(stream).data).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
