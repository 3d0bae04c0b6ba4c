/**
 * The 802.1X controlled port under random sequences of frames, sends,
 * authorisations, withdrawals and mode changes, with the settings drawn too
 * (table size, directions, starting mode, VLAN tags). The safety property:
 * a non-EAPOL frame from a MAC that is not authorised never reaches a
 * binding while the port is per-MAC, and (directions both) none is sent to
 * one. The liveness side: everything else does get through, and the taps see
 * every frame with the reason exactly when it was held back.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Adapter, PacketFilter } from '../../src/link/index.js';

const OWN = Uint8Array.of(2, 0, 0, 0, 0, 1);
const PAE = Uint8Array.of(0x01, 0x80, 0xc2, 0, 0, 3);
const BROADCAST = new Uint8Array(6).fill(0xff);
/** Stations 0..5: their MACs differ in the high and the low half, so both table levels are exercised. */
const station = (i: number) => Uint8Array.of(2, i & 1, 0, 0, i >> 1, 0x10 + i);
const STATIONS = 6;

type Op =
  | {
      kind: 'frame';
      from: number;
      to: 'own' | 'pae' | 'broadcast' | 'other';
      eapol: boolean;
      tags: number;
    }
  | { kind: 'send'; to: number | 'broadcast'; eapol: boolean }
  | { kind: 'authorize' | 'unauthorize'; mac: number; vlan: number | undefined }
  | { kind: 'mode'; mode: 'open' | 'per-mac' }
  | { kind: 'unauthorize-all' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('frame' as const),
      from: fc.integer({ min: 0, max: STATIONS - 1 }),
      to: fc.constantFrom('own' as const, 'pae' as const, 'broadcast' as const, 'other' as const),
      eapol: fc.boolean(),
      tags: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      to: fc.oneof(fc.integer({ min: 0, max: STATIONS - 1 }), fc.constant('broadcast' as const)),
      eapol: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('authorize' as const, 'unauthorize' as const),
      mac: fc.integer({ min: 0, max: STATIONS - 1 }),
      // Untagged, or VLAN 5: the one C-VLAN the drawn frames carry.
      vlan: fc.constantFrom(undefined, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('mode' as const),
      mode: fc.constantFrom('open' as const, 'per-mac' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'unauthorize-all' as const }) },
);

function buildFrame(dst: Uint8Array, src: Uint8Array, eapol: boolean, tags: number): Uint8Array {
  const header = 14 + 4 * tags;
  const frame = new Uint8Array(header + 46);
  frame.set(dst, 0);
  frame.set(src, 6);
  let at = 12;
  for (let t = 0; t < tags; t++) {
    frame[at] = t === 0 && tags === 2 ? 0x88 : 0x81;
    frame[at + 1] = t === 0 && tags === 2 ? 0xa8 : 0x00;
    frame[at + 3] = 5 + t;
    at += 4;
  }
  frame[at] = eapol ? 0x88 : 0x08;
  frame[at + 1] = eapol ? 0x8e : 0x00;
  frame[at + 2] = 0xee; // a marker the binding reads back
  return frame;
}

describe('controlled port (property)', () => {
  it('never lets a non-EAPOL frame from or to an unauthorised MAC past the port, and holds back nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 80 }),
        fc.integer({ min: 0, max: STATIONS }),
        fc.constantFrom('both' as const, 'in' as const),
        fc.constantFrom('open' as const, 'per-mac' as const),
        (ops, maxAuthorized, directions, startMode) => {
          const transmitted: Uint8Array[] = [];
          const adapter = new Adapter({
            name: 'eth0',
            mac: OWN,
            transmit: (f) => transmitted.push(f),
            controlledPort: { mode: startMode, maxAuthorized, directions },
          });
          const reached: { src: number; eapol: boolean }[] = [];
          adapter.openBinding(
            {
              receive(ind) {
                reached.push({ src: ind.header[11] as number, eapol: ind.etherType === 0x888e });
                return 'accepted';
              },
            },
            { name: 'everything', packetFilter: PacketFilter.Promiscuous },
          );
          const tapped: (string | undefined)[] = [];
          adapter.tap((_f, _oob, dropped) => tapped.push(dropped));
          // The model: authorisations per (station, VLAN); a frame's VLAN by its tags
          // (none: untagged, one C-tag: 5, stacked: no segment, never authorised).
          const authorised = new Set<string>();
          const key = (mac: number, vlan: number | undefined) => `${mac}/${vlan ?? 0}`;
          const segmentOf = (tags: number) => (tags === 0 ? 0 : tags === 1 ? 5 : -1);
          let mode = startMode;
          let expectedReached = 0;
          let expectedSent = 0;
          const port = adapter.controlledPort;
          for (const o of ops) {
            switch (o.kind) {
              case 'frame': {
                const dst = {
                  own: OWN,
                  pae: PAE,
                  broadcast: BROADCAST,
                  other: station((o.from + 1) % STATIONS),
                }[o.to];
                const before = reached.length;
                adapter.indicate(buildFrame(dst, station(o.from), o.eapol, o.tags));
                const admitted =
                  mode === 'open' ||
                  authorised.has(key(o.from, segmentOf(o.tags))) ||
                  (o.eapol && (o.to === 'own' || o.to === 'pae'));
                const last = reached.at(-1);
                if (reached.length > before && last !== undefined) {
                  // Safety, checked per frame: what reached a binding was admissible.
                  expect(
                    mode === 'open' || last.eapol || authorised.has(key(o.from, segmentOf(o.tags))),
                  ).toBe(true);
                }
                expect(reached.length - before).toBe(admitted ? 1 : 0);
                expect(tapped.at(-1)).toBe(admitted ? undefined : 'unauthorized');
                if (admitted) expectedReached++;
                break;
              }
              case 'send': {
                const dst = o.to === 'broadcast' ? BROADCAST : station(o.to);
                const ok = adapter.send(buildFrame(dst, OWN, o.eapol, 0));
                const allowed =
                  mode === 'open' ||
                  directions === 'in' ||
                  o.to === 'broadcast' ||
                  o.eapol ||
                  authorised.has(key(o.to, undefined));
                expect(ok).toBe(allowed);
                if (allowed) expectedSent++;
                break;
              }
              case 'authorize': {
                const k = key(o.mac, o.vlan);
                const fits = authorised.has(k) || authorised.size < maxAuthorized;
                expect(port.authorize(station(o.mac), o.vlan)).toBe(fits);
                if (fits) authorised.add(k);
                break;
              }
              case 'unauthorize':
                expect(port.unauthorize(station(o.mac), o.vlan)).toBe(
                  authorised.delete(key(o.mac, o.vlan)),
                );
                break;
              case 'mode':
                port.setMode(o.mode);
                mode = o.mode;
                break;
              case 'unauthorize-all':
                port.unauthorizeAll();
                authorised.clear();
                break;
            }
            for (let i = 0; i < STATIONS; i++) {
              expect(port.isAuthorized(station(i))).toBe(authorised.has(key(i, undefined)));
              expect(port.isAuthorized(station(i), 5)).toBe(authorised.has(key(i, 5)));
            }
          }
          expect(reached).toHaveLength(expectedReached);
          expect(transmitted).toHaveLength(expectedSent);
          expect(port.stats().authorized).toBe(authorised.size);
          expect(tapped).toHaveLength(ops.filter((o) => o.kind === 'frame').length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
