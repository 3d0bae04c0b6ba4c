import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import type { PcapRecord } from '../../wire/pcap/index.js';
import { readPcapFile } from './pcap-file.js';
import { startVxlanHost } from './vxlan-host.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-vxhost-'));
const MAC = fromHex('02 00 00 00 00 02');

const peer = createSocket('udp4');
await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => peer.close(() => resolve())));

describe('startVxlanHost with a capture file', () => {
  it('records the stack from its first frame: the gratuitous ARP and the DAD probes come first', async () => {
    const pcap = join(dir, 'first.pcapng');
    const host = await startVxlanHost({
      bind: { address: '127.0.0.1', port: 0 },
      remote: { address: '127.0.0.1', port: peer.address().port },
      vni: 42,
      mac: MAC,
      ipv4: [{ address: '10.200.0.2', prefixLength: 24 }],
      ipv6: [{ address: 'fd42::2', prefixLength: 64 }],
      pcap,
    });
    await host.stop();
    const records: PcapRecord[] = [];
    for await (const record of readPcapFile(pcap)) records.push(record);
    const describe = (r: PcapRecord) => {
      const frame = r.data;
      const type = toHex(frame.subarray(12, 14));
      if (type === '0806') {
        // ARP: opcode, sender IP, target IP
        return `arp op ${frame[21]} ${toHex(frame.subarray(28, 32))} -> ${toHex(frame.subarray(38, 42))}`;
      }
      if (type === '86dd' && frame[20] === 0) {
        // IPv6 with a Hop-by-Hop header (Router Alert): an MLDv2 report, its ICMPv6 type after it
        return `ipv6 from ${toHex(frame.subarray(22, 38))} hop-by-hop icmp6 ${frame[62]}`;
      }
      if (type === '86dd') {
        // IPv6: source, ICMPv6 type, and the NS target's last bytes
        return `ipv6 from ${toHex(frame.subarray(22, 38))} icmp6 ${frame[54]} target ..${toHex(frame.subarray(76, 78))}`;
      }
      return type;
    };
    const outbound = records.filter((r) => r.flags?.direction === 'outbound');
    expect(outbound.length).toBe(records.length);
    expect(records.slice(0, 4).map(describe)).toEqual([
      // The MLDv2 report (143) joining the solicited-node group ff02::1:ff00:2 (one group for
      // both addresses), sent before DAD as RFC 4862 §5.4.2 asks,
      `ipv6 from ${'00'.repeat(16)} hop-by-hop icmp6 143`,
      // DAD: an NS (135) from :: for the EUI-64 link-local address (…fe00:2), made with the binding,
      `ipv6 from ${'00'.repeat(16)} icmp6 135 target ..0002`,
      'arp op 1 0ac80002 -> 0ac80002', // the gratuitous ARP for 10.200.0.2
      `ipv6 from ${'00'.repeat(16)} icmp6 135 target ..0002`, // DAD for fd42::2
    ]);
    expect(host.capture?.stats()).toMatchObject({
      accepted: 4, // frames (acceptedBlocks counts the SHB and IDB too)
      dropped: { backlog: 0, afterError: 0 },
    });
  });
});
