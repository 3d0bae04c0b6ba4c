import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEapolPdu, EapolPacketType, emitEapol } from '../../src/wire/index.js';

/** A well-formed PDU of any type and version, then padded as a NIC pads. */
const wellFormed = fc
  .record({
    version: fc.integer({ min: 1, max: 255 }),
    packetType: fc.integer({ min: 0, max: 255 }),
    body: fc.uint8Array({ maxLength: 80 }),
    padding: fc.uint8Array({ maxLength: 46 }),
  })
  .map(({ version, packetType, body, padding }) => {
    let payload = body;
    if (packetType === EapolPacketType.EapPacket) {
      // An EAP header whose Length fits the body exactly.
      payload = new Uint8Array(4 + body.length);
      payload.set([1, body[0] ?? 0, (payload.length >> 8) & 0xff, payload.length & 0xff]);
      payload.set(body, 4);
    }
    if (packetType === EapolPacketType.Key && payload.length === 0) payload = Uint8Array.of(2);
    const bytes = new Uint8Array(4 + payload.length + padding.length);
    emitEapol({ version, packetType, bodyLength: payload.length }, bytes);
    bytes.set(payload, 4);
    bytes.set(padding, 4 + payload.length);
    return { version, packetType, payload, bytes };
  });

describe('EAPOL PDU decoder (property)', () => {
  it('never throws on arbitrary bytes, and a success stays inside the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        const result = decodeEapolPdu(bytes);
        if (!result.ok) {
          expect(typeof result.failure.code).toBe('string');
          return;
        }
        const pdu = result.value;
        const body =
          pdu.kind === 'eap-packet' ? pdu.eap : pdu.kind === 'logoff' ? undefined : pdu.body;
        if (body !== undefined) {
          expect(body.buffer).toBe(bytes.buffer);
          expect(body.byteOffset + body.length).toBeLessThanOrEqual(
            bytes.byteOffset + bytes.length,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('decodes every well-formed PDU to its type and body, padding ignored', () => {
    fc.assert(
      fc.property(wellFormed, ({ version, packetType, payload, bytes }) => {
        const result = decodeEapolPdu(bytes);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        const pdu = result.value;
        expect(pdu.version).toBe(version);
        const kinds = ['eap-packet', 'start', 'logoff', 'key', 'encapsulated-asf-alert'];
        expect(pdu.kind).toBe(kinds[packetType] ?? 'other');
        if (pdu.kind === 'eap-packet') expect([...pdu.eap]).toEqual([...payload]);
        if (pdu.kind === 'start' || pdu.kind === 'key' || pdu.kind === 'other')
          expect([...pdu.body]).toEqual([...payload]);
      }),
      { numRuns: 2000 },
    );
  });
});
