import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  isRetransmitOf,
  paddedRecordLength,
  type ConversationRecord,
} from './conversation-record.js';

const answered = fc.record({
  responseDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  eapIdentifier: fc.integer({ min: 0, max: 255 }),
  eapRequest: fc.uint8Array({ maxLength: 200 }),
});
const attribute = fc.oneof(
  fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 80 }) }),
  fc.record({
    type: fc.constant(26 as const),
    vendorId: fc.integer({ min: 0, max: 0xffffffff }),
    vendorType: fc.integer({ min: 0, max: 255 }),
    value: fc.uint8Array({ maxLength: 80 }),
  }),
);
const finished = fc.record({
  outcome: fc.constantFrom('accept' as const, 'reject' as const),
  identity: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
  attributes: fc.array(attribute, { maxLength: 8 }),
});
const record: fc.Arbitrary<ConversationRecord> = fc.record({
  client: fc.string({ maxLength: 40 }),
  address: fc.string({ maxLength: 40 }),
  identity: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }),
  authenticator: fc.uint8Array({ maxLength: 2000 }),
  answered: fc.option(answered, { nil: undefined }),
  finished: fc.option(finished, { nil: undefined }),
  basedOn: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 2 ** 32 + 5 }),
    fc.constant(Number.MAX_SAFE_INTEGER),
  ),
});

describe('conversation record (the sealed plaintext)', () => {
  it('property: round trip over drawn records, padded to a bucket', () => {
    fc.assert(
      fc.property(record, (drawn) => {
        const bytes = encodeRecord(drawn);
        expect([256, 512].includes(bytes.length) || bytes.length % 1024 === 0).toBe(true);
        expect(decodeRecord(bytes)).toEqual(drawn);
      }),
    );
  });

  it('the record size does not show the identity length within a bucket', () => {
    const of = (identity: number) =>
      encodeRecord({
        client: 'c',
        address: '127.0.0.1',
        identity: new Uint8Array(identity),
        authenticator: new Uint8Array(100),
        basedOn: 0,
      }).length;
    expect(new Set([1, 20, 64, 120].map(of))).toEqual(new Set([256]));
    expect(paddedRecordLength(257)).toBe(512);
    expect(paddedRecordLength(1025)).toBe(2048);
  });

  it('property: garbage never throws, and a truncated record never decodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (garbage) => {
        expect(() => decodeRecord(garbage)).not.toThrow();
      }),
    );
    const bytes = encodeRecord({
      client: 'c',
      address: 'a',
      identity: undefined,
      authenticator: new Uint8Array(30),
      answered: {
        responseDigest: new Uint8Array(32),
        eapIdentifier: 3,
        eapRequest: new Uint8Array(10),
      },
      basedOn: 9,
    });
    // 94 octets before the padding: every shorter prefix lacks a field.
    for (let n = 0; n < 94; n++) expect(decodeRecord(bytes.subarray(0, n))).toBeUndefined();
  });

  it('a retransmit matches on the EAP Identifier and the EAP Response digest, not on RADIUS fields or port', () => {
    const round = {
      responseDigest: new Uint8Array(32).fill(5),
      eapIdentifier: 9,
      eapRequest: new Uint8Array(4),
    };
    const same = { eapIdentifier: 9, responseDigest: round.responseDigest.slice() };
    expect(isRetransmitOf(round, same)).toBe(true);
    expect(isRetransmitOf(undefined, same)).toBe(false);
    const otherDigest = new Uint8Array(32).fill(5);
    otherDigest[31] = 6;
    for (const other of [
      { ...same, eapIdentifier: 10 },
      { ...same, responseDigest: otherDigest },
      { ...same, responseDigest: new Uint8Array(31).fill(5) },
    ]) {
      expect(isRetransmitOf(round, other)).toBe(false);
    }
  });

  it('basedOn must be a revision', () => {
    const base = {
      client: 'c',
      address: 'a',
      identity: undefined,
      authenticator: new Uint8Array(1),
    };
    for (const basedOn of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => encodeRecord({ ...base, basedOn })).toThrow(RangeError);
    }
  });
});
