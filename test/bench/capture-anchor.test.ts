// The in-process capture bench's anchor moves the bytes netrx writes per
// event: it used to copy only the 128-byte payload of each 232-byte item.
import { describe, expect, it } from 'vitest';
import { copyItems, itemBytes } from '../../bench/support/capture-anchor.js';
import { SessionTable, startSyntheticProvider } from '../../src/capture/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { parseEventBuffer } from '../../src/wire/index.js';

describe('bench/capture anchor', () => {
  it('copies per event exactly the bytes a session writes per synthetic event', async () => {
    for (const payload of [16, 128, 1000]) {
      const clock = new VirtualClock(0);
      const registry = new TraceRegistry({ clock });
      const table = new SessionTable({ registry, clock });
      const session = table.createSession({
        name: 'b',
        providers: [{ provider: 'netrx-synthetic' }],
        limits: { bufferBytes: 65_536, maxBuffers: 4, eventsPerBuffer: 20 },
      });
      session.start();
      const synthetic = startSyntheticProvider({
        registry,
        clock,
        eventsPerSecond: 0,
        payloadBytes: payload,
      });
      const handle = table.openSession('b');
      synthetic.emit(20);
      const op = table.receiveData(handle);
      await op.done;
      const result = op.result;
      if (result?.status !== 'data') throw new Error('no data');
      const items = parseEventBuffer(result.data);
      expect(items.ok).toBe(true);
      if (!items.ok) return;
      const events = items.value.filter((i) => i.kind === 'event');
      expect(events).toHaveLength(20);
      // Every item's DataSize (u32 at +0) is what the anchor copies per event.
      const view = new DataView(result.data.buffer, result.data.byteOffset);
      expect(view.getUint32(0, true)).toBe(itemBytes(payload));
      expect(copyItems(100, payload)).toBe(100 * itemBytes(payload));
    }
    expect(itemBytes(128)).toBe(232);
  });
});
