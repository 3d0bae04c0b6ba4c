import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat } from '../../src/bytes/index.js';
import {
  FrameDecoder,
  Utf8Validator,
  encodeFrame,
  maskInPlace,
  maskInto,
  type FrameHeader,
  type FrameLimits,
  type WebSocketFailure,
} from '../../src/wire/websocket/index.js';

interface Decoded {
  frames: { header: FrameHeader; payload: Uint8Array }[];
  failure: WebSocketFailure | undefined;
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** Decodes copies of `chunks` (the decoder unmasks in place). */
function decode(chunks: Uint8Array[], limits: FrameLimits, intoSize?: number): Decoded {
  const decoder = new FrameDecoder(limits);
  const frames: Decoded['frames'] = [];
  let header: FrameHeader | undefined;
  let pieces: Uint8Array[] = [];
  const into = intoSize === undefined ? undefined : new Uint8Array(intoSize);
  for (const chunk of chunks) {
    decoder.push(chunk.slice());
    for (let e = decoder.next(into); e !== undefined; e = decoder.next(into)) {
      if (e.type === 'header') header = e.header;
      else if (e.type === 'payload') {
        pieces.push(e.data.slice());
        if (e.last) {
          frames.push({ header: header!, payload: concat(pieces) });
          pieces = [];
        }
      } else return { frames, failure: e.failure };
    }
  }
  return { frames, failure: undefined };
}

const limitsArb: fc.Arbitrary<FrameLimits> = fc.record(
  {
    maxPayloadLength: fc.oneof(fc.nat(300), fc.constant(Number.MAX_SAFE_INTEGER)),
    reservedBits: fc.integer({ min: 0, max: 7 }),
    expectMasked: fc.constantFrom(true, false, undefined),
    allowUnknownOpcodes: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** Byte streams that look like frames often enough to get past the header. */
const streamArb = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc
    .array(
      fc.record({
        b0: fc.constantFrom(0x81, 0x82, 0x01, 0x00, 0x80, 0x88, 0x89, 0x8a, 0xc1, 0x83),
        masked: fc.boolean(),
        len: fc.constantFrom(0, 1, 5, 125, 126, 127),
        ext: fc.uint8Array({ minLength: 8, maxLength: 8 }),
        body: fc.uint8Array({ maxLength: 140 }),
      }),
      { maxLength: 6 },
    )
    .map((parts) =>
      concat(
        parts.flatMap((p) => [
          new Uint8Array([p.b0, (p.masked ? 0x80 : 0) | p.len]),
          p.len === 126 ? p.ext.subarray(0, 2) : p.len === 127 ? p.ext : new Uint8Array(0),
          p.body,
        ]),
      ),
    ),
);

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

describe('FrameDecoder properties', () => {
  it('never throws on arbitrary bytes, limits and chunking', () => {
    fc.assert(
      fc.property(
        streamArb,
        cutsArb,
        limitsArb,
        fc.option(fc.integer({ min: 1, max: 64 })),
        (bytes, cuts, limits, intoSize) => {
          decode(split(bytes, cuts), limits, intoSize ?? undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('yields the same frames and failure however the stream is chunked', () => {
    fc.assert(
      fc.property(
        streamArb,
        cutsArb,
        limitsArb,
        fc.option(fc.integer({ min: 1, max: 64 })),
        (bytes, cuts, limits, intoSize) => {
          const whole = decode([bytes], limits);
          const chunked = decode(split(bytes, cuts), limits, intoSize ?? undefined);
          expect(chunked).toEqual(whole);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const payloadArb = fc.uint8Array({ maxLength: 300 });
  const keyArb = fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined });
  const controlArb = fc.record({
    opcode: fc.constantFrom(8, 9, 10),
    payload: fc.uint8Array({ maxLength: 125 }),
    maskKey: keyArb,
  });
  const messageArb = fc.record({
    opcode: fc.constantFrom(1, 2),
    rsv1: fc.boolean(),
    fragments: fc.array(fc.record({ payload: payloadArb, maskKey: keyArb }), {
      minLength: 1,
      maxLength: 4,
    }),
  });

  it('decode ∘ encode is the identity on valid frame sequences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(controlArb, messageArb), { maxLength: 5 }),
        cutsArb,
        (items, cuts) => {
          const frames: { header: FrameHeader; payload: Uint8Array }[] = [];
          for (const item of items) {
            if ('fragments' in item) {
              item.fragments.forEach((f, i) => {
                const fin = i === item.fragments.length - 1;
                const header: FrameHeader = {
                  fin,
                  rsv1: i === 0 && item.rsv1,
                  rsv2: false,
                  rsv3: false,
                  opcode: i === 0 ? item.opcode : 0,
                  payloadLength: f.payload.length,
                  maskKey: f.maskKey,
                };
                frames.push({ header, payload: f.payload });
              });
            } else {
              frames.push({
                header: {
                  fin: true,
                  rsv1: false,
                  rsv2: false,
                  rsv3: false,
                  opcode: item.opcode,
                  payloadLength: item.payload.length,
                  maskKey: item.maskKey,
                },
                payload: item.payload,
              });
            }
          }
          const wire = concat(frames.map((f) => encodeFrame({ ...f.header, payload: f.payload })));
          const out = decode(split(wire, cuts), { reservedBits: 4 });
          expect(out.failure).toBeUndefined();
          expect(out.frames).toEqual(frames);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('mask properties', () => {
  const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

  it('mask ∘ mask is the identity at any phase and alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        keyArb,
        fc.nat(3),
        fc.nat(3),
        (bytes, key, phase, offset) => {
          const backing = new Uint8Array(bytes.length + offset);
          backing.set(bytes, offset);
          const data = backing.subarray(offset);
          maskInPlace(data, key, phase);
          expect(Array.from(data)).toEqual(
            Array.from(bytes, (b, i) => b ^ (key[(i + phase) & 3] as number)),
          );
          maskInPlace(data, key, phase);
          expect(data).toEqual(bytes);
        },
      ),
    );
  });

  it('masking in pieces with the returned phase equals masking at once', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), keyArb, cutsArb, (bytes, key, cuts) => {
        const once = bytes.slice();
        maskInPlace(once, key);
        const target = new Uint8Array(bytes.length);
        let phase = 0;
        let at = 0;
        for (const piece of split(bytes, cuts)) {
          phase = maskInto(piece, target.subarray(at), key, phase);
          at += piece.length;
        }
        expect(target).toEqual(once);
      }),
    );
  });
});

describe('Utf8Validator properties', () => {
  const encoder = new TextEncoder();
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const accepts = (bytes: Uint8Array): boolean => {
    try {
      fatal.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const textArb = fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => encoder.encode(s));
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    textArb,
    // Valid text with a byte changed, inserted or cut off: near misses.
    fc.tuple(textArb, fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([t, at, byte]) => {
      const copy = t.slice();
      if (copy.length > 0) copy[at % copy.length] = byte;
      return copy;
    }),
    fc.tuple(textArb, fc.nat()).map(([t, cut]) => t.subarray(0, cut % (t.length + 1))),
    fc
      .array(fc.constantFrom(0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0x90, 0xa0), {
        maxLength: 12,
      })
      .map((a) => new Uint8Array(a)),
  );

  it('agrees with TextDecoder({ fatal: true }) on arbitrary bytes split at arbitrary points', () => {
    fc.assert(
      fc.property(bytesArb, cutsArb, (bytes, cuts) => {
        const v = new Utf8Validator();
        let stillValid = true;
        for (const piece of split(bytes, cuts)) stillValid = v.push(piece) && stillValid;
        const ok = accepts(bytes);
        expect(stillValid && v.end()).toBe(ok);
        if (!stillValid) {
          // The first invalid byte: everything before it is a valid prefix,
          // and nothing that starts with it up to and including it can be.
          const prefix = bytes.subarray(0, v.errorIndex);
          const w = new Utf8Validator();
          expect(w.push(prefix)).toBe(true);
          expect(w.push(bytes.subarray(v.errorIndex, v.errorIndex + 1))).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
