/**
 * Frames on a link reach a capture session's EVENT_BUFFER: the adapter's
 * taps → the packet-capture provider (src/link, filters from the session's
 * filter data) → netrx/trace → the session (src/capture) → NDIS 1001 events
 * that decode back to the frames, truncated as asked.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../src/capture/index.js';
import { PACKET_CAPTURE_PROVIDER_GUID, openPacketCaptureProvider } from '../../src/link/index.js';
import { createLinkPair, VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';

describe('packet capture through an event session', () => {
  it('delivers the frames the filters pass, as NDIS 1001 events, truncated', () => {
    const clock = new VirtualClock();
    const registry = new TraceRegistry({ clock });
    const pair = createLinkPair();
    const capture = openPacketCaptureProvider({ registry });
    capture.attach(pair.a, 3);
    const table = new SessionTable({ registry, clock });
    const session = table.createSession({
      name: 'pkt',
      providers: [
        {
          provider: PACKET_CAPTURE_PROVIDER_GUID,
          level: 4,
          filterData: { etherTypes: [0x0806], truncationLength: 42 },
        },
      ],
      limits: { timerMs: 100 },
    });
    session.start();
    const handle = table.openSession('pkt');
    const sent: Uint8Array[] = [];
    for (const etherType of [0x0806, 0x0800, 0x0806]) {
      const frame = new Uint8Array(64).map((_, i) => i);
      frame.set(pair.a.mac, 0);
      frame.set(pair.b.mac, 6);
      frame[12] = etherType >> 8;
      frame[13] = etherType & 0xff;
      pair.b.send(frame);
      sent.push(frame);
    }
    pair.flush();
    const op = table.receiveData(handle);
    clock.advance(100);
    const result = op.result;
    expect(result?.status).toBe('data');
    if (result?.status !== 'data') return;
    const items = parseEventBuffer(result.data);
    expect(items.ok).toBe(true);
    if (!items.ok) return;
    const fragments = items.value.map((item) => {
      if (item.kind !== 'event') throw new Error(item.kind);
      expect(item.record.header).toMatchObject({
        providerId: PACKET_CAPTURE_PROVIDER_GUID,
        id: 1001,
      });
      const user = item.record.userData;
      const view = new DataView(user.buffer, user.byteOffset, user.byteLength);
      expect(view.getUint32(0, true)).toBe(3);
      expect(view.getUint32(8, true)).toBe(42);
      // netrx's OriginalSize after the fragment: the frame's length on the wire.
      expect(user.length).toBe(12 + 42 + 4);
      expect(view.getUint32(12 + 42, true)).toBe(64);
      return user.slice(12, 12 + 42);
    });
    expect(fragments).toEqual([sent[0]?.subarray(0, 42), sent[2]?.subarray(0, 42)]);
    expect(capture.stats()).toMatchObject({ captured: 2, filteredOut: 1 });
  });
});
