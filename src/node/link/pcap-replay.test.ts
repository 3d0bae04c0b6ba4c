import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concat } from '../../bytes/index.js';
import { Adapter, PacketFilter } from '../../link/index.js';
import { PcapngWriter } from '../../wire/index.js';
import { replayPcap } from './pcap-replay.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-replay-'));

describe('replayPcap', () => {
  it('indicates Ethernet records in bursts with their timestamps, skipping other link types', async () => {
    const writer = new PcapngWriter({});
    const parts = [
      writer.sectionHeader(),
      writer.addInterface({ linkType: 1 }),
      writer.addInterface({ linkType: 101 }),
    ];
    for (let i = 0; i < 5; i++) {
      const frame = new Uint8Array(60).fill(0xff, 0, 6);
      parts.push(
        writer.packet({ interfaceId: 0, timestamp: BigInt(i + 1) * 1_000_000_000n, data: frame }),
      );
    }
    parts.push(writer.packet({ interfaceId: 1, timestamp: 1n, data: new Uint8Array(20) }));
    const file = join(dir, 'mixed.pcapng');
    writeFileSync(file, concat(parts));

    const adapter = new Adapter({ name: 'replay', mac: Uint8Array.of(2, 0, 0, 0, 0, 1) });
    const stamps: number[] = [];
    let completes = 0;
    adapter.openBinding(
      {
        receive(ind) {
          stamps.push(ind.oob.timestamp ?? -1);
          return 'accepted';
        },
        receiveComplete: () => void completes++,
      },
      { name: 'all', packetFilter: PacketFilter.Promiscuous },
    );
    const stats = await replayPcap(file, adapter, { burst: 2 });
    expect(stats).toEqual({ frames: 5, accepted: 5, skipped: 1 });
    expect(stamps).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(completes).toBe(3);
  });

  it('rejects a bad file with a one-line reason and a bad burst size', async () => {
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'not a capture');
    const adapter = new Adapter({ name: 'replay', mac: Uint8Array.of(2, 0, 0, 0, 0, 1) });
    await expect(replayPcap(bad, adapter)).rejects.toThrow(/not a pcap or pcapng file/);
    await expect(replayPcap(bad, adapter, { burst: 0 })).rejects.toThrow(RangeError);
  });
});
