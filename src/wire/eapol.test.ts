import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { EtherType, parseEthernet, parseMac } from './ethernet.js';
import {
  EAPOL_ETHERTYPE,
  EapolPacket,
  EapolPacketType,
  PAE_GROUP_ADDRESS,
  emitEapol,
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
