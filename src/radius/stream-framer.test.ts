import { describe, expect, it } from 'vitest';
import { RadiusStreamFramer } from './stream-framer.js';

/** A packet-shaped run of octets: code, identifier, Length, then filler. */
function packet(length: number, fill = 0xab): Uint8Array {
  const bytes = new Uint8Array(length).fill(fill);
  bytes[0] = 1;
  bytes[1] = length & 0xff;
  bytes[2] = length >>> 8;
  bytes[3] = length & 0xff;
  return bytes;
}

function collect(framer: RadiusStreamFramer, ...chunks: Uint8Array[]) {
  const out: Uint8Array[] = [];
  let failure;
  for (const chunk of chunks) failure = framer.push(chunk, (p) => out.push(p.slice()));
  return { out, failure };
}

describe('RadiusStreamFramer (RFC 6613 §2.1)', () => {
  it('delivers back-to-back packets of one chunk as views, in order', () => {
    const framer = new RadiusStreamFramer();
    const a = packet(20, 1);
    const b = packet(38, 2);
    const chunk = new Uint8Array([...a, ...b]);
    const views: Uint8Array[] = [];
    expect(framer.push(chunk, (p) => views.push(p))).toBeUndefined();
    expect(views.map((v) => v.length)).toEqual([20, 38]);
    expect(views[0]?.buffer).toBe(chunk.buffer);
    expect(framer.copied).toBe(0);
  });

  it('reassembles a packet split one octet at a time, the header too', () => {
    const framer = new RadiusStreamFramer();
    const p = packet(44);
    const { out, failure } = collect(framer, ...Array.from(p, (b) => Uint8Array.of(b)));
    expect(failure).toBeUndefined();
    expect(out).toEqual([p]);
    expect(framer.copied).toBe(1);
    expect(framer.buffered).toBe(0);
  });

  it('keeps the tail of a chunk for the next one', () => {
    const framer = new RadiusStreamFramer();
    const a = packet(30, 1);
    const b = packet(25, 2);
    const all = new Uint8Array([...a, ...b]);
    const { out } = collect(framer, all.subarray(0, 33), all.subarray(33));
    expect(out).toEqual([a, b]);
  });

  it('a Length below 20 fails the stream for good', () => {
    const framer = new RadiusStreamFramer();
    const bad = packet(20);
    bad[3] = 19;
    expect(framer.push(bad, () => {})).toEqual({ code: 'length-too-short', length: 19 });
    expect(framer.push(packet(20), () => expect.unreachable())).toMatchObject({
      code: 'length-too-short',
    });
  });

  it('a Length above maxPacketLength fails at the header, before the body arrives', () => {
    const framer = new RadiusStreamFramer({ maxPacketLength: 100 });
    expect(framer.push(Uint8Array.of(1, 0, 0), () => {})).toBeUndefined();
    expect(framer.push(Uint8Array.of(101), () => {})).toEqual({
      code: 'length-too-long',
      length: 101,
      max: 100,
    });
    expect(new RadiusStreamFramer().push(Uint8Array.of(1, 0, 0xff, 0xff), () => {})).toEqual({
      code: 'length-too-long',
      length: 65535,
      max: 4096,
    });
  });

  it('the packet before a bad Length is still delivered', () => {
    const framer = new RadiusStreamFramer();
    const bad = Uint8Array.of(1, 0, 0, 3);
    const { out, failure } = collect(framer, new Uint8Array([...packet(20), ...bad]));
    expect(out).toHaveLength(1);
    expect(failure?.code).toBe('length-too-short');
  });

  it('stops when the callee fails it mid-chunk', () => {
    const framer = new RadiusStreamFramer();
    const seen: number[] = [];
    const failure = framer.push(new Uint8Array([...packet(20), ...packet(20)]), (p) => {
      seen.push(p.length);
      framer.fail({ code: 'length-too-short', length: 0 });
    });
    expect(seen).toEqual([20]);
    expect(failure).toBeDefined();
  });

  it('refuses an impossible maxPacketLength', () => {
    expect(() => new RadiusStreamFramer({ maxPacketLength: 19 })).toThrow(RangeError);
    expect(() => new RadiusStreamFramer({ maxPacketLength: 65536 })).toThrow(RangeError);
  });
});
