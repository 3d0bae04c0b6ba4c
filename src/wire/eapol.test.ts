import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { EtherType, parseEthernet, parseMac } from './ethernet.js';
import {
  EAPOL_ETHERTYPE,
  EapolPacket,
  EapolPacketType,
  PAE_GROUP_ADDRESS,
  decodeEapolPdu,
  emitEapol,
  emitEapolFrame,
  isPaeGroupAddress,
  parseEapol,
} from './eapol.js';

// From tcpdump's eapon1.pcap: an EAP-Request/Identity padded to 60 bytes, and an
// EAPOL-Start of 19 bytes (one byte of trailer).
const REQUEST_IDENTITY = new Uint8Array(60); // zero padding after the 23 bytes below
REQUEST_IDENTITY.set(
  fromHex(`
    0004 2357 a57a 000c ce88 319a 888e   # to the supplicant, EAPOL
    01 00 0005                           # version 1, EAP-Packet, body 5 bytes
    01 01 0005 01                        # EAP Request, id 1, length 5, Identity`),
);
const START = fromHex('000c ce88 319a 0004 2357 a57a 888e 01 01 0000 00');

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('EAPOL', () => {
  it('reads a padded EAP packet and keeps only its body', () => {
    expect(REQUEST_IDENTITY.length).toBe(60);
    const frame = parseEthernet(REQUEST_IDENTITY);
    if (!frame.ok) throw new Error('fixture');
    expect(frame.value.header.etherType).toBe(EAPOL_ETHERTYPE);
    expect(EtherType.Eapol).toBe(EAPOL_ETHERTYPE);
    const result = parseEapol(frame.value.payload);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.header).toEqual({
      version: 1,
      packetType: EapolPacketType.EapPacket,
      bodyLength: 5,
    });
    expect(toHex(result.value.payload)).toBe('0101000501');
  });

  it('reads a Start with an empty body', () => {
    const frame = parseEthernet(START);
    if (!frame.ok) throw new Error('fixture');
    const view = EapolPacket.checked(frame.value.payload);
    expect(view.ok).toBe(true);
    if (!view.ok) return;
    expect(view.value.packetType).toBe(EapolPacketType.Start);
    expect(view.value.bodyLength).toBe(0);
    expect(view.value.payload.length).toBe(0);
  });

  it('fails with truncated when the body is cut short', () => {
    expect(code(parseEapol(fromHex('0100 00')))).toBe('truncated');
    expect(code(parseEapol(fromHex('0100 0005 0101 00')))).toBe('truncated');
  });

  it('round-trips and builds in place', () => {
    const out = new Uint8Array(8);
    emitEapol({ version: 3, packetType: EapolPacketType.Key, bodyLength: 4 }, out);
    expect(toHex(out)).toBe('0303000400000000');
    expect(parseEapol(out)).toMatchObject({
      ok: true,
      value: { header: { version: 3, bodyLength: 4 } },
    });
    const view = EapolPacket.unchecked(out);
    view.setPacketType(0x42);
    expect(parseEapol(out).ok && view.packetType).toBe(0x42);
    expect(() => emitEapol({ version: 2, packetType: 1, bodyLength: 0 }, out, 5)).toThrow(
      RangeError,
    );
  });

  it('knows the PAE group address', () => {
    expect(isPaeGroupAddress(parseMac(PAE_GROUP_ADDRESS)!)).toBe(true);
    expect(isPaeGroupAddress(parseMac('01:80:c2:00:00:0e')!)).toBe(false);
  });
});

describe('EAPOL PDUs by packet type', () => {
  it('decodes the Start and Request/Identity seen on the wire (research §2)', () => {
    expect(decodeEapolPdu(fromHex('02 01 00 00'))).toEqual({
      ok: true,
      value: { kind: 'start', version: 2, body: new Uint8Array(0) },
    });
    const request = decodeEapolPdu(fromHex('02 00 00 05 01 43 00 05 01 00 00'));
    expect(request.ok && request.value.kind).toBe('eap-packet');
    if (request.ok && request.value.kind === 'eap-packet')
      expect(toHex(request.value.eap)).toBe('0143000501');
  });

  it('keeps Logoff, Key (opaque), ASF alert and unknown types', () => {
    expect(decodeEapolPdu(fromHex('01 02 00 00'))).toMatchObject({
      ok: true,
      value: { kind: 'logoff', version: 1 },
    });
    const key = decodeEapolPdu(fromHex('03 03 00 03 02 aa bb'));
    expect(key).toMatchObject({ ok: true, value: { kind: 'key', descriptorType: 2 } });
    if (key.ok && key.value.kind === 'key') expect(toHex(key.value.body)).toBe('02aabb');
    expect(decodeEapolPdu(fromHex('02 04 00 01 07'))).toMatchObject({
      ok: true,
      value: { kind: 'encapsulated-asf-alert' },
    });
    expect(decodeEapolPdu(fromHex('03 05 00 00'))).toMatchObject({
      ok: true,
      value: { kind: 'other', packetType: 5 },
    });
  });

  it('refuses what cannot be an EAPOL PDU, with a code', () => {
    expect(code(decodeEapolPdu(fromHex('00 01 00 00')))).toBe('bad-version');
    expect(code(decodeEapolPdu(fromHex('02 00 00 03 01 01 00')))).toBe('eap-too-short');
    expect(code(decodeEapolPdu(fromHex('02 00 00 04 01 01 00 09')))).toBe('eap-length-mismatch');
    expect(code(decodeEapolPdu(fromHex('02 00 00 04 01 01 00 03')))).toBe('eap-length-mismatch');
    expect(code(decodeEapolPdu(fromHex('02 03 00 00')))).toBe('empty-key');
    expect(code(decodeEapolPdu(fromHex('02 01')))).toBe('truncated');
  });

  it('writes whole frames', () => {
    const out = new Uint8Array(64);
    const length = emitEapolFrame(
      out,
      parseMac(PAE_GROUP_ADDRESS)!,
      parseMac('02:00:00:00:00:01')!,
      2,
      EapolPacketType.Start,
      new Uint8Array(0),
    );
    expect(toHex(out.subarray(0, length))).toBe('0180c2000003020000000001888e02010000');
    expect(() =>
      emitEapolFrame(
        new Uint8Array(20),
        out.subarray(0, 6),
        out.subarray(0, 6),
        2,
        0,
        new Uint8Array(4),
      ),
    ).toThrow(RangeError);
  });
});
