import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes/index.js';
import { EtherType, parseEthernet } from './ethernet.js';
import { VXLAN_PORT, VxlanPacket, emitVxlan, parseVxlan } from './vxlan.js';

// The UDP payload of a kernel ARP request over VXLAN (research/link.md §3.4): I flag, VNI 42.
const KERNEL_ARP = fromHex(`
  0800 0000 0000 2a00
  ffff ffff ffff 0200 0000 0001 0806
  0001 0800 0604 0001 0200 0000 0001 0ac8 0001 0000 0000 0000 0ac8 0002`);

function code(result: { ok: boolean; failure?: { code: string } }): string {
  return result.ok ? 'ok' : (result.failure?.code ?? '?');
}

describe('VXLAN', () => {
  it('reads the header and hands on the inner frame', () => {
    expect(VXLAN_PORT).toBe(4789);
    const result = parseVxlan(KERNEL_ARP);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.header).toEqual({ flags: 0x08, reserved1: 0, vni: 42, reserved2: 0 });
    const inner = parseEthernet(result.value.payload);
    expect(inner.ok && inner.value.header.etherType).toBe(EtherType.Arp);
  });

  it('keeps reserved bits as sent', () => {
    const bytes = fromHex('ff12 3456 abcd ef99');
    const result = parseVxlan(bytes);
    expect(result.ok && result.value.header).toEqual({
      flags: 0xff,
      reserved1: 0x123456,
      vni: 0xabcdef,
      reserved2: 0x99,
    });
    if (!result.ok) return;
    const out = new Uint8Array(8);
    emitVxlan(result.value.header, out);
    expect(toHex(out)).toBe(toHex(bytes));
  });

  it('fails without the I flag or below 8 bytes', () => {
    expect(code(parseVxlan(fromHex('0000 0000 0000 2a00')))).toBe('bad-flags');
    expect(code(parseVxlan(KERNEL_ARP.subarray(0, 7)))).toBe('truncated');
    // The view only checks lengths and reports the flag.
    const view = VxlanPacket.checked(fromHex('0000 0000 0000 2a00'));
    expect(view.ok && view.value.vniValid).toBe(false);
  });

  it('builds a header in place', () => {
    const bytes = new Uint8Array(8);
    const view = VxlanPacket.unchecked(bytes);
    view.setFlags(0x08);
    view.setVni(0x123456);
    view.setReserved2(1);
    view.setReserved1(0xabcdef);
    expect(toHex(bytes)).toBe('08abcdef12345601');
    expect(view.vni).toBe(0x123456);
    expect(() => emitVxlan({ flags: 8, reserved1: 0, vni: 1, reserved2: 0 }, bytes, 1)).toThrow(
      RangeError,
    );
  });
});
