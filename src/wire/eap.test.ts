import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import {
  EXPANDED_NAK,
  EapCode,
  EapType,
  emitEap,
  encodeEap,
  expandedNakTypeData,
  nakTypeData,
  parseEap,
  parseExpandedNak,
  parseNak,
} from './eap.js';

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('EAP packets', () => {
  it('reads the Request/Identity eapol_test saw on the wire (research notes)', () => {
    // EAPOL body of `02 00 00 05 01 43 00 05 01`: Request, id 0x43, Length 5, Identity.
    const result = parseEap(fromHex('01 43 0005 01'));
    expect(result).toEqual({
      ok: true,
      value: {
        code: EapCode.Request,
        identifier: 0x43,
        type: EapType.Identity,
        typeData: new Uint8Array(0),
      },
    });
  });

  it('reads Success and Failure, ignoring data past the header and padding past Length', () => {
    expect(parseEap(fromHex('03 07 0004'))).toEqual({
      ok: true,
      value: { code: EapCode.Success, identifier: 7 },
    });
    expect(parseEap(fromHex('04 07 0006 aabb'))).toEqual({
      ok: true,
      value: { code: EapCode.Failure, identifier: 7 },
    });
    const padded = parseEap(fromHex('02 01 0006 01 61 00 00 00'));
    expect(
      padded.ok &&
        toHex(padded.ok ? (padded.value as { typeData: Uint8Array }).typeData : new Uint8Array()),
    ).toBe('61');
  });

  it('decodes an MD5-Challenge Request as a view of the input (zero copy)', () => {
    const bytes = fromHex('01 02 0016 04 10 000102030405060708090a0b0c0d0e0f');
    const result = parseEap(bytes);
    if (!result.ok || result.value.code !== EapCode.Request) throw new Error('decode');
    expect(result.value.type).toBe(EapType.Md5Challenge);
    expect(result.value.typeData.length).toBe(17);
    expect(result.value.typeData.buffer).toBe(bytes.buffer);
  });

  it('decodes an expanded type and the Expanded Nak', () => {
    const nak = encodeEap({
      code: EapCode.Response,
      identifier: 9,
      type: EapType.Expanded,
      expanded: EXPANDED_NAK,
      typeData: expandedNakTypeData([
        { vendorId: 0, vendorType: EapType.Md5Challenge },
        { vendorId: 0x9f, vendorType: 0xfffffffe },
      ]),
    });
    expect(toHex(nak.subarray(0, 12))).toBe('0209001cfe00000000000003');
    const result = parseEap(nak);
    if (!result.ok || result.value.code !== EapCode.Response) throw new Error('decode');
    expect(result.value.expanded).toEqual(EXPANDED_NAK);
    expect(parseExpandedNak(result.value.typeData)).toEqual({
      ok: true,
      value: [
        { vendorId: 0, vendorType: 4 },
        { vendorId: 0x9f, vendorType: 0xfffffffe },
      ],
    });
  });

  it('reads and writes legacy Nak lists; an empty desired list is the single 0', () => {
    expect(toHex(nakTypeData([26, 4]))).toBe('1a04');
    expect(toHex(nakTypeData([]))).toBe('00');
    expect(parseNak(fromHex('1a04'))).toEqual({ ok: true, value: [26, 4] });
    expect(code(parseNak(new Uint8Array(0)))).toBe('empty-nak');
    expect(toHex(expandedNakTypeData([]))).toBe('fe00000000000000');
  });

  it('fails with stable codes on bad input and never throws', () => {
    expect(code(parseEap(fromHex('0101')))).toBe('truncated');
    expect(code(parseEap(fromHex('01 01 0003')))).toBe('bad-length');
    expect(code(parseEap(fromHex('01 01 0009 01')))).toBe('truncated');
    expect(code(parseEap(fromHex('05 01 0004')))).toBe('unknown-code');
    expect(code(parseEap(fromHex('00 01 0004')))).toBe('unknown-code');
    expect(code(parseEap(fromHex('02 01 0004')))).toBe('missing-type');
    expect(code(parseEap(fromHex('02 01 0008 fe000000')))).toBe('truncated-expanded');
    expect(code(parseExpandedNak(fromHex('fe00000000000004 01')))).toBe('bad-expanded-nak');
    expect(code(parseExpandedNak(fromHex('0400000000000004')))).toBe('bad-expanded-nak');
  });

  it('refuses to emit what cannot be encoded (RangeError)', () => {
    const out = new Uint8Array(8);
    expect(() => emitEap({ code: EapCode.Success, identifier: 256 }, out)).toThrow(RangeError);
    expect(() =>
      emitEap({ code: EapCode.Request, identifier: 1, type: 4, typeData: new Uint8Array(4) }, out),
    ).toThrow(RangeError);
    expect(() =>
      emitEap(
        { code: EapCode.Request, identifier: 1, type: 254, typeData: new Uint8Array(0) },
        new Uint8Array(20),
      ),
    ).toThrow(RangeError);
    expect(() =>
      emitEap(
        {
          code: EapCode.Request,
          identifier: 1,
          type: 4,
          expanded: EXPANDED_NAK,
          typeData: new Uint8Array(0),
        },
        new Uint8Array(20),
      ),
    ).toThrow(RangeError);
    expect(() =>
      encodeEap({ code: 2, identifier: 1, type: 1, typeData: new Uint8Array(0xffff) }),
    ).toThrow(RangeError);
    expect(emitEap({ code: EapCode.Failure, identifier: 3 }, out, 4)).toBe(4);
    expect(toHex(out.subarray(4))).toBe('04030004');
  });
});
