// PEAPv0 phase-2 packets: the inner-packet decoder and the Result TLV parser
// never throw on arbitrary bytes, a header-compressed packet and the same
// packet with its full header decode alike, and what the encoder writes
// decodes to what it was given, for both directions and any identifier.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePeapInner,
  encodePeapInner,
  parseResultTlv,
  resultTlvPacket,
} from '../../src/eap/index.js';
import { EapCode, EapType, encodeEap } from '../../src/wire/eap.js';

const direction = fc.constantFrom('request' as const, 'response' as const);
const identifier = fc.integer({ min: 0, max: 255 });

describe('PEAPv0 inner packets', () => {
  it('decodePeapInner never throws, and answers ok or a reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), direction, identifier, (data, dir, id) => {
        const result = decodePeapInner(data, dir, id);
        if (result.ok) {
          expect(result.packet.code).toBe(dir === 'request' ? EapCode.Request : EapCode.Response);
          if (result.packet.type === EapType.PeapExtensions) expect(result.fullHeader).toBe(true);
        } else {
          expect(result.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseResultTlv never throws; a status comes only from a well-formed Result TLV', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const result = parseResultTlv(data);
        if (result.ok) expect(result.status).toBeGreaterThanOrEqual(0);
        else expect(result.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('encode then decode gives the packet back; compressed and full headers decode alike', () => {
    const packet = fc.record({
      dir: direction,
      identifier,
      // Not Extensions (always full), not Expanded (its own header), not 0.
      type: fc.integer({ min: 1, max: 253 }).filter((t) => t !== EapType.PeapExtensions),
      typeData: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(packet, ({ dir, identifier, type, typeData }) => {
        const code = dir === 'request' ? EapCode.Request : EapCode.Response;
        // The one ambiguity of the format (wpa_supplicant has it too): Type equal to the Code
        // and the next octets equal to a Length that fits read as a full header.
        fc.pre(
          !(
            type === code &&
            typeData.length >= 4 &&
            ((typeData[1]! << 8) | typeData[2]!) === typeData.length + 1
          ),
        );
        const message = { code, identifier, type, typeData } as const;
        const compressed = encodePeapInner(message);
        expect(compressed.length).toBe(typeData.length + 1);
        const fromCompressed = decodePeapInner(compressed, dir, identifier);
        expect(fromCompressed.ok && fromCompressed.packet).toEqual(message);
        const full = decodePeapInner(encodeEap(message), dir, identifier);
        expect(full.ok && full.packet).toEqual(message);
      }),
    );
  });

  it('a Result TLV in an Extensions packet round-trips with its status', () => {
    fc.assert(
      fc.property(direction, identifier, fc.boolean(), (dir, id, success) => {
        const code = dir === 'request' ? EapCode.Request : EapCode.Response;
        const bytes = encodePeapInner(resultTlvPacket(code, id, success));
        expect(bytes.length).toBe(11); // full header (5) + one TLV (6)
        // The identifier to fill in is ignored: Extensions carries its own.
        const decoded = decodePeapInner(bytes, dir, (id + 1) & 0xff);
        expect(decoded.ok && decoded.packet.identifier).toBe(id);
        const tlv = decoded.ok ? parseResultTlv(decoded.packet.typeData) : undefined;
        expect(tlv).toEqual({ ok: true, status: success ? 1 : 2 });
      }),
    );
  });
});
