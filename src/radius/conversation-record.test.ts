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
  radiusIdentifier: fc.integer({ min: 0, max: 255 }),
  requestAuthenticator: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  port: fc.integer({ min: 0, max: 0xffff }),
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
        radiusIdentifier: 1,
        requestAuthenticator: new Uint8Array(16),
        port: 2,
        eapIdentifier: 3,
        eapRequest: new Uint8Array(10),
      },
    });
    for (let n = 0; n < 73; n++) expect(decodeRecord(bytes.subarray(0, n))).toBeUndefined();
  });

  it('a retransmit matches on RADIUS Identifier, Request Authenticator, port and EAP Identifier', () => {
    const round = {
      radiusIdentifier: 7,
      requestAuthenticator: new Uint8Array(16).fill(5),
      port: 4000,
      eapIdentifier: 9,
      eapRequest: new Uint8Array(4),
    };
    const same = { ...round, requestAuthenticator: round.requestAuthenticator.slice() };
    expect(isRetransmitOf(round, same)).toBe(true);
    expect(isRetransmitOf(undefined, same)).toBe(false);
    for (const other of [
      { ...same, radiusIdentifier: 8 },
      { ...same, port: 4001 },
      { ...same, eapIdentifier: 10 },
      { ...same, requestAuthenticator: new Uint8Array(16).fill(6) },
    ]) {
      expect(isRetransmitOf(round, other)).toBe(false);
    }
  });
});
