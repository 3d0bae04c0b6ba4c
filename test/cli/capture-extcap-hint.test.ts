// An extcap capture of a session with no packet provider explains its
// "0 packets" once (stderr, which Wireshark shows, and an ISB comment),
// after NO_PACKET_HINT_AFTER events or at its end; a capture with packets
// says nothing.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PACKET_HINT_AFTER } from '../../src/cli/commands/capture-extcap-format.js';
import { runExtcapCapture } from '../../src/cli/commands/capture-extcap.js';
import { SYNTHETIC_PROVIDER_GUID } from '../../src/capture/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import {
  FILETIME_UNIX_EPOCH,
  NDIS_PACKET_CAPTURE_PROVIDER_GUID,
  encodeEventBuffer,
  type NetEventItemInit,
} from '../../src/wire/index.js';

const T0 = FILETIME_UNIX_EPOCH + 17_000_000_000_000_000n;

const synthetic: NetEventItemInit = {
  kind: 'event',
  record: { providerId: SYNTHETIC_PROVIDER_GUID, id: 1, timeStamp: T0 },
  userData: new Uint8Array(8),
};

function packet(): NetEventItemInit {
  const frame = new Uint8Array(60);
  frame.set([2, 0, 0, 0, 0, 0xb, 2, 0, 0, 0, 0, 0xa, 0x08, 0x06]);
  const u = new Uint8Array(12 + frame.length + 4);
  const v = new DataView(u.buffer);
  v.setUint32(8, frame.length, true);
  u.set(frame, 12);
  v.setUint32(12 + frame.length, frame.length, true);
  return {
    kind: 'event',
    record: {
      providerId: NDIS_PACKET_CAPTURE_PROVIDER_GUID,
      id: 1001,
      level: 4,
      opcode: 240,
      timeStamp: T0,
    },
    userData: u,
  };
}

/** Runs a capture over `buffers`, then waits; `stop` ends it. */
function capture(buffers: Uint8Array[]) {
  const file = join(mkdtempSync(join(tmpdir(), 'ce-hint-')), 'out.pcapng');
  const err: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((done) => (stop = done));
  let waiting = false;
  let rejectWaiting: ((e: Error) => void) | undefined;
  const running = runExtcapCapture(
    {
      fifo: file,
      server: 'fake',
      session: 's',
      filter: () => true,
      filtering: false,
      clock: new VirtualClock(1_700_000_000_000),
      connect: () =>
        Promise.resolve({
          open: () => Promise.resolve('h'),
          receive: () => {
            const next = buffers.shift();
            if (next !== undefined) return Promise.resolve(next);
            waiting = true;
            return new Promise<Uint8Array>((_, reject) => (rejectWaiting = reject));
          },
          close: () => Promise.resolve(),
          end: () => rejectWaiting?.(new Error('ended')),
        }),
    },
    { out: () => undefined, err: (l) => err.push(l), untilStopped: () => stopped },
  );
  const idle = async () => {
    for (let i = 0; i < 500 && !waiting; i++) await new Promise((r) => setTimeout(r, 5));
    expect(waiting).toBe(true);
  };
  const text = () => readFileSync(file).toString('latin1');
  return { err, stop, running, idle, text };
}

describe('capture extcap: a session with no packet provider', () => {
  it(`says why there are 0 packets once, after ${NO_PACKET_HINT_AFTER} events: stderr and an ISB comment`, async () => {
    const run = capture([
      encodeEventBuffer(Array<NetEventItemInit>(NO_PACKET_HINT_AFTER - 1).fill(synthetic)),
      encodeEventBuffer([synthetic, synthetic]),
    ]);
    await run.idle();
    expect(run.err).toEqual([
      expect.stringMatching(
        /^netrx capture extcap: 0 packets: the session delivered 101 events, none of them a packet \(it has no packet-capture provider: add Microsoft-Windows-NDIS-PacketCapture/,
      ),
    ]);
    expect(run.text()).toContain('netrx: 0 packets: the session delivered');
    run.stop();
    expect(await run.running).toBe(0);
    expect(run.err).toHaveLength(1); // not again at the end
  });

  it('says it at the end when fewer events came; a capture with a packet says nothing', async () => {
    const few = capture([encodeEventBuffer([synthetic])]);
    await few.idle();
    expect(few.err).toEqual([]);
    few.stop();
    expect(await few.running).toBe(0);
    expect(few.err).toEqual([expect.stringContaining('delivered 1 events, none of them a packet')]);

    const mixed = capture([
      encodeEventBuffer([
        packet(),
        ...Array<NetEventItemInit>(NO_PACKET_HINT_AFTER).fill(synthetic),
      ]),
    ]);
    await mixed.idle();
    mixed.stop();
    expect(await mixed.running).toBe(0);
    expect(mixed.err).toEqual([]);
    expect(mixed.text()).not.toContain('0 packets');
  });
});
