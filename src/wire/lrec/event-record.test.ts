import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEventRecordAt, parseEventRecord } from './index.js';

describe('isEventRecordAt', () => {
  it('agrees with parseEventRecord for any bytes, offset and length (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 90 }),
          fc.uint8Array({ minLength: 92, maxLength: 400 }),
        ),
        fc.oneof(fc.constant(0), fc.nat(120)),
        fc.nat(400),
        // UserDataLength and UserDataOffset drawn near the edges that matter.
        fc.option(
          fc.tuple(
            fc.oneof(fc.constantFrom(0, 1, 4), fc.integer({ min: 0, max: 320 })),
            fc.oneof(fc.constantFrom(0, 91, 92, 93, 96), fc.integer({ min: 0, max: 400 })),
          ),
        ),
        (bytes, rawOffset, rawLength, fields) => {
          const offset = Math.min(rawOffset, bytes.length);
          const length = Math.min(rawLength, bytes.length - offset);
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          if (fields !== null && length >= 92) {
            view.setUint16(offset + 86, fields[0], true);
            view.setUint16(offset + 90, fields[1], true);
          }
          const record = bytes.subarray(offset, offset + length);
          expect(isEventRecordAt(view, offset, length)).toBe(parseEventRecord(record).ok);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
