// EAP-TTLS AVPs (RFC 5281 §10): the parser never throws on arbitrary bytes,
// never returns more than MAX_TTLS_AVPS, every AVP it returns lies inside
// the input, and what the encoder writes (any codes, flags, vendor or not,
// any lengths) parses back to the same AVPs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TTLS_AVPS, encodeTtlsAvps, parseTtlsAvps, type TtlsAvp } from '../../src/eap/index.js';

const avp: fc.Arbitrary<TtlsAvp> = fc
  .record({
    code: fc.nat({ max: 0xffffffff }),
    flags: fc.integer({ min: 0, max: 0x7f }),
    vendorId: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
    data: fc.uint8Array({ maxLength: 40 }),
  })
  .map(({ vendorId, ...rest }) => (vendorId === undefined ? rest : { ...rest, vendorId }));

describe('TTLS AVPs', () => {
  it('parseTtlsAvps never throws; AVPs are views inside the input; the count is bounded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = parseTtlsAvps(bytes);
        if (!result.ok) {
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(result.avps.length).toBeLessThanOrEqual(MAX_TTLS_AVPS);
        for (const a of result.avps) {
          expect(a.data.buffer).toBe(bytes.buffer);
          expect(a.data.byteOffset + a.data.length).toBeLessThanOrEqual(
            bytes.byteOffset + bytes.length,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encode then parse gives the AVPs back', () => {
    fc.assert(
      fc.property(fc.array(avp, { maxLength: 10 }), (avps) => {
        const parsed = parseTtlsAvps(encodeTtlsAvps(avps));
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.avps.map((a) => ({ ...a, data: [...a.data] }))).toEqual(
          avps.map((a) => ({
            ...a,
            flags: a.flags | (a.vendorId === undefined ? 0 : 0x80),
            data: [...a.data],
          })),
        );
      }),
    );
  });
});
