import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex } from '../bytes/index.js';
import { decodePayload, TraceRegistry } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { Adapter } from './adapter.js';
import type { PortControl } from './controlled-port.js';
import { PacketFilter } from './packet-filter.js';
import { createStack } from './stack.js';

const OWN_MAC = fromHex('02:00:00:00:00:01');
const SUPPLICANT = fromHex('02:00:00:00:00:02');
const OTHER = fromHex('02:00:00:00:00:03');
const BROADCAST = fromHex('ff:ff:ff:ff:ff:ff');
const PAE_GROUP_ADDRESS = fromHex('01:80:c2:00:00:03');
const ETHERTYPE_EAPOL = 0x888e;

function frame(dst: Uint8Array, src: Uint8Array, etherType: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
}

/** An adapter whose one promiscuous binding records the EtherType and source of each frame it gets. */
function gated(options: ConstructorParameters<typeof Adapter>[0]['controlledPort'] = {}) {
  const sent: Uint8Array[] = [];
  const trace = new TraceRegistry({ clock: new VirtualClock() });
  const events: string[] = [];
  trace.enable(
    'netrx-link',
    (e) => {
      const fields = e.descriptor.fields ?? [];
      const decoded = decodePayload(fields, e.payload);
      if (!decoded.ok) return;
      const v = decoded.values;
      if (e.descriptor.name === 'ControlledPortChanged')
        events.push(`${String(v['change'])} ${String(v['mac'])}`);
      if (e.descriptor.name === 'FrameDropped' || e.descriptor.name === 'SendDropped')
        events.push(`${e.descriptor.name} ${String(v['reason'])}`);
    },
    { level: 4 },
  );
  const adapter = new Adapter({
    name: 'eth0',
    mac: OWN_MAC,
    trace,
    transmit: (f) => sent.push(f),
    controlledPort: { mode: 'per-mac', ...options },
  });
  const got: string[] = [];
  adapter.openBinding(
    {
      receive(ind) {
        got.push(`${ind.etherType.toString(16)} from ${ind.header[11]}`);
        return 'accepted';
      },
    },
    { name: 'all', packetFilter: PacketFilter.Promiscuous },
  );
  return { adapter, got, sent, events };
}

describe('ControlledPort: receive direction', () => {
  it('is open by default: nothing gated', () => {
    const adapter = new Adapter({ name: 'eth0', mac: OWN_MAC });
    let got = 0;
    adapter.openBinding({ receive: () => (got++, 'accepted') }, { name: 'x' });
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800));
    expect([got, adapter.controlledPort.mode, adapter.stats().dropped.unauthorized]).toEqual([
      1,
      'open',
      0,
    ]);
  });

  it('lets only EAPOL to the PAE group address or to us through from an unauthorised MAC', () => {
    const { adapter, got, events } = gated();
    adapter.indicateBurst([
      frame(PAE_GROUP_ADDRESS, SUPPLICANT, ETHERTYPE_EAPOL), // through
      frame(OWN_MAC, SUPPLICANT, ETHERTYPE_EAPOL), // through
      frame(OTHER, SUPPLICANT, ETHERTYPE_EAPOL), // EAPOL for someone else: gated
      frame(BROADCAST, SUPPLICANT, ETHERTYPE_EAPOL), // EAPOL to broadcast: gated
      frame(BROADCAST, SUPPLICANT, 0x0806), // ARP: gated
      frame(OWN_MAC, SUPPLICANT, 0x0800), // IPv4: gated
      fromHex('01 80 c2 00 00 03 02 00 00 00 00 02 81 00 00 05 88 8e 01 01 00 00'), // tagged EAPOL: through
    ]);
    expect(got).toEqual(['888e from 2', '888e from 2', '888e from 2']);
    expect(adapter.stats().dropped.unauthorized).toBe(4);
    expect(events.filter((e) => e === 'FrameDropped unauthorized')).toHaveLength(4);
  });

  it('lets everything through once the MAC is authorised, and gates it again after', () => {
    const { adapter, got, events } = gated();
    const ip = frame(OWN_MAC, SUPPLICANT, 0x0800);
    expect(adapter.controlledPort.authorize(SUPPLICANT)).toBe(true);
    expect(adapter.controlledPort.isAuthorized(SUPPLICANT)).toBe(true);
    adapter.indicate(ip);
    adapter.indicate(frame(OWN_MAC, OTHER, 0x0800)); // another MAC is still gated
    expect(adapter.controlledPort.unauthorize(SUPPLICANT)).toBe(true);
    expect(adapter.controlledPort.unauthorize(SUPPLICANT)).toBe(false);
    adapter.indicate(ip);
    expect(got).toEqual(['800 from 2']);
    expect(events).toEqual([
      'authorized 02:00:00:00:00:02',
      'FrameDropped unauthorized',
      'unauthorized 02:00:00:00:00:02',
      'FrameDropped unauthorized',
    ]);
    adapter.controlledPort.setMode('open');
    adapter.indicate(ip);
    expect(got).toHaveLength(2);
    expect(events.at(-1)).toBe('mode open ');
  });

  it('bounds the table: an authorisation past maxAuthorized is refused, counted and traced', () => {
    const { adapter, events } = gated({ maxAuthorized: 2 });
    const port = adapter.controlledPort;
    expect(port.authorize(SUPPLICANT)).toBe(true);
    expect(port.authorize(SUPPLICANT)).toBe(true); // already there: not a new entry
    expect(port.authorize(OTHER)).toBe(true);
    expect(port.authorize(fromHex('02:00:00:00:00:04'))).toBe(false);
    expect(port.stats()).toMatchObject({ authorized: 2, authorizations: 2, refused: 1 });
    expect(events.at(-1)).toBe('refused 02:00:00:00:00:04');
    port.unauthorizeAll();
    expect(port.stats()).toMatchObject({ authorized: 0, unauthorizations: 2 });
    expect(port.authorize(fromHex('02:00:00:00:00:04'))).toBe(true);
  });

  it('refuses group addresses and malformed MACs (API misuse)', () => {
    const { adapter } = gated();
    expect(() => adapter.controlledPort.authorize(PAE_GROUP_ADDRESS)).toThrow(TypeError);
    expect(() => adapter.controlledPort.authorize(new Uint8Array(5))).toThrow(TypeError);
    expect(adapter.controlledPort.isAuthorized(new Uint8Array(5))).toBe(false);
    expect(
      () => new Adapter({ name: 'x', mac: OWN_MAC, controlledPort: { maxAuthorized: -1 } }),
    ).toThrow(RangeError);
    expect(() => adapter.controlledPort.setMode('closed' as 'open')).toThrow(TypeError);
  });
});

describe('ControlledPort: send direction', () => {
  it('with directions both, sends only EAPOL and group-addressed frames to an unauthorised MAC', () => {
    const { adapter, sent, events } = gated();
    expect(adapter.send(frame(SUPPLICANT, OWN_MAC, 0x0800))).toBe(false);
    expect(adapter.send(frame(SUPPLICANT, OWN_MAC, ETHERTYPE_EAPOL))).toBe(true);
    expect(adapter.send(frame(PAE_GROUP_ADDRESS, OWN_MAC, ETHERTYPE_EAPOL))).toBe(true);
    expect(adapter.send(frame(BROADCAST, OWN_MAC, 0x0806))).toBe(true);
    adapter.controlledPort.authorize(SUPPLICANT);
    expect(adapter.send(frame(SUPPLICANT, OWN_MAC, 0x0800))).toBe(true);
    expect(sent).toHaveLength(4);
    expect(adapter.stats().sendDropped.unauthorized).toBe(1);
    expect(events[0]).toBe('SendDropped unauthorized');
  });

  it('with directions in, gates received frames only', () => {
    const { adapter, sent, got } = gated({ directions: 'in' });
    expect(adapter.send(frame(SUPPLICANT, OWN_MAC, 0x0800))).toBe(true);
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800));
    expect([sent.length, got.length]).toEqual([1, 0]);
  });
});

describe('ControlledPort: the stack behind it', () => {
  it('answers no ARP from an unauthorised host, and answers once it is authorised', () => {
    const sent: Uint8Array[] = [];
    const adapter = new Adapter({
      name: 'eth0',
      mac: OWN_MAC,
      transmit: (f) => sent.push(f.slice()),
      controlledPort: { mode: 'per-mac' },
    });
    const clock = new VirtualClock();
    const stack = createStack({
      adapter,
      clock,
      ipv4: [{ address: '10.0.0.1', prefixLength: 24 }],
    });
    sent.length = 0; // the gratuitous ARP (broadcast: the port lets it out)
    const whoHas = fromHex(`ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01 08 00 06 04 00 01
                            02 00 00 00 00 02 0a 00 00 02 00 00 00 00 00 00 0a 00 00 01`);
    adapter.indicateBurst([whoHas]);
    expect(sent).toHaveLength(0);
    expect(stack.stats().arp.drops['not-for-us']).toBe(0); // never reached the ARP binding
    adapter.controlledPort.authorize(SUPPLICANT);
    adapter.indicateBurst([whoHas]);
    expect(sent).toHaveLength(1);
    expect(Array.from(sent[0]!.subarray(0, 6))).toEqual(Array.from(SUPPLICANT));
    stack.close();
  });
});

describe('ControlledPort: the seam an EAPOL authenticator drives', () => {
  it('may be driven from inside an EAPOL binding’s receive; the next frame from that MAC passes', () => {
    const adapter = new Adapter({
      name: 'eth0',
      mac: OWN_MAC,
      controlledPort: { mode: 'per-mac' },
    });
    const port: PortControl = adapter.controlledPort;
    // A stand-in for issue 10's authenticator: it authorises the sender of
    // any EAPOL frame whose first body byte is 1 and withdraws it on 2.
    adapter.openBinding(
      {
        receive(ind) {
          const supplicant = ind.header.subarray(6, 12);
          if (ind.byteAt(0) === 1) port.authorize(supplicant);
          if (ind.byteAt(0) === 2) port.unauthorize(supplicant);
          return 'accepted';
        },
      },
      {
        name: 'eapol',
        etherTypes: [ETHERTYPE_EAPOL],
        packetFilter: PacketFilter.Directed | PacketFilter.Multicast,
        multicast: [PAE_GROUP_ADDRESS],
      },
    );
    let ipFrames = 0;
    adapter.openBinding(
      { receive: () => (ipFrames++, 'accepted') },
      { name: 'ip', etherTypes: [0x0800] },
    );
    const eapol = (code: number) => {
      const f = frame(PAE_GROUP_ADDRESS, SUPPLICANT, ETHERTYPE_EAPOL);
      f[14] = code;
      return f;
    };
    const ip = frame(OWN_MAC, SUPPLICANT, 0x0800);
    adapter.indicateBurst([ip, eapol(1), ip, eapol(2), ip]);
    expect(ipFrames).toBe(1);
    expect(adapter.controlledPort.stats()).toMatchObject({
      authorizations: 1,
      unauthorizations: 1,
    });
    expect(adapter.stats().dropped.unauthorized).toBe(2);
  });
});

/** `f` with an 802.1Q tag of `vlan` (TPID `tpid`) after the MACs. */
function tagged(f: Uint8Array, vlan: number, tpid = 0x8100): Uint8Array {
  const out = new Uint8Array(f.length + 4);
  out.set(f.subarray(0, 12), 0);
  out[12] = tpid >> 8;
  out[13] = tpid & 0xff;
  out[14] = vlan >> 8;
  out[15] = vlan & 0xff;
  out.set(f.subarray(12), 16);
  return out;
}

describe('ControlledPort: keyed per (MAC, VLAN)', () => {
  // Regression (review 8): the table was keyed by MAC alone, so a supplicant
  // authorised untagged was let into every VLAN of a trunk.
  it('an authorisation untagged opens the untagged segment only, not VLAN 10', () => {
    const { adapter, got } = gated();
    adapter.controlledPort.authorize(SUPPLICANT);
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800));
    adapter.indicate(tagged(frame(OWN_MAC, SUPPLICANT, 0x0800), 10));
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800), {
      oob: { vlan: { id: 10, priority: 0 } },
    });
    expect(got).toEqual(['800 from 2']);
    expect(adapter.stats().dropped.unauthorized).toBe(2);
    expect(adapter.controlledPort.isAuthorized(SUPPLICANT, 10)).toBe(false);
  });

  it('an authorisation on VLAN 10 opens VLAN 10 (in-band or offloaded), not untagged nor VLAN 11', () => {
    const { adapter, got, events } = gated();
    expect(adapter.controlledPort.authorize(SUPPLICANT, 10)).toBe(true);
    adapter.indicate(tagged(frame(OWN_MAC, SUPPLICANT, 0x0800), 10));
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800), {
      oob: { vlan: { id: 10, priority: 0 } },
    });
    adapter.indicate(frame(OWN_MAC, SUPPLICANT, 0x0800));
    adapter.indicate(tagged(frame(OWN_MAC, SUPPLICANT, 0x0800), 11));
    adapter.indicate(tagged(frame(OWN_MAC, SUPPLICANT, 0x0800), 10, 0x88a8)); // an S-tag: not VLAN 10
    expect(got).toEqual(['800 from 2', '800 from 2']);
    expect(adapter.stats().dropped.unauthorized).toBe(3);
    expect(events).toContain('authorized 02:00:00:00:00:02');
    expect([
      adapter.controlledPort.isAuthorized(SUPPLICANT, 10),
      adapter.controlledPort.isAuthorized(SUPPLICANT),
    ]).toEqual([true, false]);
  });

  it('gates sends per VLAN too, and unauthorizeAll withdraws every (MAC, VLAN)', () => {
    const { adapter, sent } = gated();
    const port = adapter.controlledPort;
    port.authorize(SUPPLICANT, 10);
    port.authorize(SUPPLICANT, 4094);
    port.authorize(fromHex('fe:ff:ff:ff:ff:fe'), 7);
    expect(adapter.send(tagged(frame(SUPPLICANT, OWN_MAC, 0x0800), 10))).toBe(true);
    expect(adapter.send(frame(SUPPLICANT, OWN_MAC, 0x0800))).toBe(false);
    expect(adapter.send(tagged(frame(SUPPLICANT, OWN_MAC, 0x0800), 11))).toBe(false);
    expect(sent).toHaveLength(1);
    expect(port.isAuthorized(fromHex('fe:ff:ff:ff:ff:fe'), 7)).toBe(true);
    port.unauthorizeAll();
    expect(port.stats()).toMatchObject({ authorized: 0, unauthorizations: 3 });
    expect(port.isAuthorized(SUPPLICANT, 4094)).toBe(false);
  });

  it('refuses a VLAN id outside 1..4094 (API misuse)', () => {
    const { adapter } = gated();
    for (const vlan of [0, 4095, 1.5]) {
      expect(() => adapter.controlledPort.authorize(SUPPLICANT, vlan)).toThrow(RangeError);
    }
  });
});

describe('ControlledPort: the (MAC, VLAN) key, drawn', () => {
  it('finds exactly what was authorised, and unauthorizeAll rebuilds each pair', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            mac: fc.uint8Array({ minLength: 6, maxLength: 6 }).map((m) => {
              m[0] = (m[0] as number) & 0xfe; // individual
              return m;
            }),
            vlan: fc.option(fc.integer({ min: 1, max: 4094 }), { nil: undefined }),
          }),
          { maxLength: 20, selector: (p) => `${Array.from(p.mac).join(',')}/${p.vlan}` },
        ),
        (pairs) => {
          const { adapter } = gated();
          const port = adapter.controlledPort;
          for (const p of pairs) expect(port.authorize(p.mac, p.vlan)).toBe(true);
          for (const p of pairs) {
            expect(port.isAuthorized(p.mac, p.vlan)).toBe(true);
            const other = p.vlan === undefined ? 1 : p.vlan === 4094 ? undefined : p.vlan + 1;
            const listed = pairs.some(
              (q) => q.vlan === other && q.mac.every((b, i) => b === p.mac[i]),
            );
            expect(port.isAuthorized(p.mac, other)).toBe(listed);
          }
          port.unauthorizeAll();
          expect(port.stats()).toMatchObject({ authorized: 0, unauthorizations: pairs.length });
        },
      ),
    );
  });
});

describe('ControlledPort: sends the stack never writes (link-review3 F5)', () => {
  it('refuses an S-tagged and a double-tagged frame even to a MAC authorised untagged and on the outer VLAN', () => {
    const { adapter, sent } = gated();
    adapter.controlledPort.authorize(SUPPLICANT);
    adapter.controlledPort.authorize(SUPPLICANT, 10);
    // Neither belongs to a segment the table can vouch for (bindings write at most one C-tag).
    expect(adapter.send(tagged(frame(SUPPLICANT, OWN_MAC, 0x0800), 10, 0x88a8))).toBe(false);
    expect(adapter.send(tagged(tagged(frame(SUPPLICANT, OWN_MAC, 0x0800), 20), 10))).toBe(false);
    expect(adapter.send(tagged(frame(SUPPLICANT, OWN_MAC, 0x0800), 10))).toBe(true);
    expect(sent).toHaveLength(1);
    expect(adapter.stats().sendDropped.unauthorized).toBe(2);
  });
});
