/**
 * `link.pcapReplay[]` (review D11): a capture file as an adapter's wire in
 * `netrx up`. Each entry is one adapter (its name is its service's, its
 * log's and its /metrics `adapter` label) fed the Ethernet records of a pcap
 * or pcapng file by src/node/link's replayPcap, optionally under an IP stack
 * with addresses (so ARP, IPv4/IPv6 and UDP count what they see), at the
 * capture's own pace or as fast as possible, once or in a loop.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parsePrefix } from '../link/addresses.js';
import { ConfigError, field, integer, list, object, parsed, required, string } from './schema.js';

export const pcapReplayList = field(
  list(
    object({
      /** The adapter's name (service, log, /metrics `adapter`). */
      name: required(string({ pattern: /^[A-Za-z0-9_.-]{1,32}$/, describe: 'an adapter name' })),
      /** A pcap or pcapng file; its Ethernet records are indicated, other link types skipped. */
      file: required(string({ pattern: /^.+$/s, describe: 'a pcap or pcapng file name' })),
      /** The adapter's own MAC (the Directed filter: frames to it, broadcast, multicast). */
      mac: field(
        string({
          pattern: /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/,
          describe: 'a MAC address like 02:00:00:00:00:02',
        }),
        '02:6e:78:72:00:01',
      ),
      ipv4: field(
        list(
          parsed('an IPv4 address with a prefix (A.B.C.D/NN)', (t) => parsePrefix(t, 4)),
          16,
        ),
        [],
      ),
      ipv6: field(
        list(
          parsed('an IPv6 address with a prefix (ADDR/NN)', (t) => parsePrefix(t, 6)),
          16,
        ),
        [],
      ),
      /** 0: as fast as the stack takes them; N: N times the capture's own pace (1: as captured). */
      speed: field(integer(0, 1000), 0),
      /** Times through the file; 0: until the host stops (needs a speed). */
      loops: field(integer(0, 1_000_000), 1),
      /** Frames per burst (`receiveComplete` after each). */
      burst: field(integer(1, 4096), 64),
    }),
    16,
  ),
  [],
);

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

/** Why `file` cannot be replayed (missing, unreadable, not a capture), or undefined. */
function captureFileProblem(file: string): string | undefined {
  let fd: number | undefined;
  try {
    if (!statSync(file).isFile()) return `${JSON.stringify(file)} is not a file`;
    fd = openSync(file, 'r');
    const head = new Uint8Array(4);
    const read = readSync(fd, head, 0, 4, 0);
    const magic = new DataView(head.buffer).getUint32(0);
    if (read < 4 || !PCAP_MAGICS.has(magic))
      return `${JSON.stringify(file)} is not a pcap or pcapng file`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `no such file: ${JSON.stringify(file)}`
      : `cannot read ${JSON.stringify(file)}: ${code ?? String(error)}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Each entry's file is a readable capture, its name is no other adapter's
 * (`adapters`: the names taken so far, link.vxlan's included), and a loop
 * without end has a pace (at speed 0 it would spin the CPU).
 */
export function checkPcapReplays(
  entries: readonly {
    readonly name: string;
    readonly file: string;
    readonly speed: number;
    readonly loops: number;
  }[],
  adapters: Map<string, string>,
): void {
  entries.forEach((entry, index) => {
    const where = `link.pcapReplay[${index}]`;
    const first = adapters.get(entry.name);
    if (first !== undefined)
      throw new ConfigError(`${where}.name`, `adapter ${entry.name} is already ${first}`);
    adapters.set(entry.name, where);
    const problem = captureFileProblem(entry.file);
    if (problem !== undefined) throw new ConfigError(`${where}.file`, problem);
    if (entry.loops === 0 && entry.speed === 0)
      throw new ConfigError(
        `${where}.loops`,
        '0 (until the host stops) needs a speed above 0: as fast as possible, forever, would spin the CPU',
      );
  });
}
