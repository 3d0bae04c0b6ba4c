import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EapCode,
  EapType,
  eapPacketLength,
  encodeEap,
  expandedNakTypeData,
  nakTypeData,
  parseEap,
  parseExpandedNak,
  parseNak,
  type EapPacket,
} from '../../src/wire/index.js';

const expandedType = fc.record({
  vendorId: fc.integer({ min: 0, max: 0xffffff }),
  vendorType: fc.nat({ max: 0xffffffff }),
});

const packet: fc.Arbitrary<EapPacket> = fc.oneof(
  fc.record({
    code: fc.constantFrom(EapCode.Success, EapCode.Failure),
    identifier: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    code: fc.constantFrom(EapCode.Request, EapCode.Response),
    identifier: fc.integer({ min: 0, max: 255 }),
    type: fc.integer({ min: 0, max: 253 }),
    typeData: fc.uint8Array({ maxLength: 64 }),
  }),
  fc.record({
    code: fc.constantFrom(EapCode.Request, EapCode.Response),
    identifier: fc.integer({ min: 0, max: 255 }),
    type: fc.constant(EapType.Expanded),
    expanded: expandedType,
    typeData: fc.uint8Array({ maxLength: 64 }),
  }),
);

describe('EAP codec properties', () => {
  it('never throws on arbitrary bytes, and any packet it accepts re-encodes to its Length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const result = parseEap(bytes);
        if (!result.ok) return;
        const length = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
        const again = encodeEap(result.value);
        // Success/Failure drop any data they carried; the rest re-encode byte for byte.
        if (result.value.code === EapCode.Success || result.value.code === EapCode.Failure) {
          expect(again.length).toBe(4);
        } else {
          expect(again).toEqual(bytes.subarray(0, length));
        }
      }),
    );
  });

  it('parse ∘ encode is the identity, padding after Length is ignored', () => {
    fc.assert(
      fc.property(packet, fc.uint8Array({ maxLength: 8 }), (value, padding) => {
        const bytes = new Uint8Array(eapPacketLength(value) + padding.length);
        bytes.set(encodeEap(value));
        bytes.set(padding, eapPacketLength(value));
        expect(parseEap(bytes)).toEqual({ ok: true, value });
      }),
    );
  });

  it('Nak lists round-trip and their decoders never throw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 10 }),
        fc.array(expandedType, { maxLength: 5 }),
        fc.uint8Array({ maxLength: 40 }),
        (legacy, expanded, junk) => {
          const nak = parseNak(nakTypeData(legacy));
          expect(nak).toEqual({ ok: true, value: legacy.length === 0 ? [0] : legacy });
          const ex = parseExpandedNak(expandedNakTypeData(expanded));
          expect(ex).toEqual({
            ok: true,
            value: expanded.length === 0 ? [{ vendorId: 0, vendorType: 0 }] : expanded,
          });
          parseNak(junk);
          parseExpandedNak(junk);
        },
      ),
    );
  });
});
