import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BufferPool,
  ByteReader,
  ByteWriter,
  BytesRangeError,
  concat,
  fromHex,
  toHex,
} from '../../src/bytes/index.js';
import { NetrxError } from '../../src/runtime/index.js';

type Field =
  | { t: 'u8' | 'u16' | 'u16le' | 'u24' | 'u32' | 'u32le'; v: number }
  | { t: 'u64' | 'u64le'; v: bigint }
  | { t: 'bytes'; v: Uint8Array };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ t: fc.constant('u8' as const), v: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({
    t: fc.constantFrom('u16' as const, 'u16le' as const),
    v: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({ t: fc.constant('u24' as const), v: fc.integer({ min: 0, max: 0xffffff }) }),
  fc.record({
    t: fc.constantFrom('u32' as const, 'u32le' as const),
    v: fc.nat({ max: 0xffffffff }),
  }),
  fc.record({
    t: fc.constantFrom('u64' as const, 'u64le' as const),
    v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  fc.record({ t: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 20 }) }),
);

function write(w: ByteWriter, f: Field): void {
  switch (f.t) {
    case 'bytes':
      w.bytes(f.v);
      return;
    case 'u64':
    case 'u64le':
      w[f.t](f.v);
      return;
    default:
      w[f.t](f.v);
  }
}

describe('bytes properties', () => {
  it('what ByteWriter writes, ByteReader reads back, at any offset into a shared buffer', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 30 }), fc.nat({ max: 7 }), (fields, pad) => {
        const w = ByteWriter.growable(1);
        for (const f of fields) write(w, f);
        const written = w.finish();
        const backing = new Uint8Array(pad + written.length);
        backing.set(written, pad);
        const r = new ByteReader(backing.subarray(pad));
        for (const f of fields) {
          if (f.t === 'bytes') expect(Array.from(r.bytesView(f.v.length))).toEqual(Array.from(f.v));
          else expect(r[f.t]()).toBe(f.v);
        }
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('ByteReader only ever throws BytesRangeError, whatever is asked of it', () => {
    const op = fc.constantFrom(
      'u8',
      'i8',
      'u16',
      'u16le',
      'i16',
      'i16le',
      'u24',
      'u32',
      'u32le',
      'i32',
      'i32le',
      'u64',
      'u64le',
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 16 }),
        fc.array(op, { maxLength: 12 }),
        (data, ops) => {
          const r = new ByteReader(data);
          for (const name of ops) {
            try {
              r[name]();
            } catch (error) {
              expect(error).toBeInstanceOf(BytesRangeError);
            }
            expect(r.offset).toBeLessThanOrEqual(data.length);
          }
        },
      ),
    );
  });

  it('hex round-trips, and fromHex throws only its coded error', () => {
    fc.assert(
      fc.property(fc.uint8Array(), (data) => {
        expect(Array.from(fromHex(toHex(data, ' ')))).toEqual(Array.from(data));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          fromHex(text);
        } catch (error) {
          expect(error).toBeInstanceOf(NetrxError);
        }
      }),
    );
  });

  it('concat keeps every byte in order', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array()), (parts) => {
        expect(Array.from(concat(parts))).toEqual(parts.flatMap((p) => Array.from(p)));
      }),
    );
  });

  it('BufferPool: any sequence of get/free keeps inUse exact and never hands out a live buffer twice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('get'), fc.nat({ max: 10 })), { maxLength: 60 }),
        (ops) => {
          const pool = new BufferPool({ bufferSize: 8, capacity: 4 });
          const live: Uint8Array[] = [];
          for (const op of ops) {
            if (op === 'get') {
              try {
                const buffer = pool.get();
                expect(live.some((b) => b.byteOffset === buffer.byteOffset)).toBe(false);
                live.push(buffer);
              } catch (error) {
                expect((error as NetrxError).code).toBe('ERROR_OUT_OF_BUFFERS');
                expect(live.length).toBe(4);
              }
            } else if (live.length > 0) {
              const [buffer] = live.splice(op % live.length, 1);
              pool.free(buffer!);
            }
            expect(pool.stats().inUse).toBe(live.length);
          }
        },
      ),
    );
  });
});
