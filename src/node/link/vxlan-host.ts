import { createStack, type Stack } from '../../link/index.js';
import type { Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { NANOSECONDS } from '../../wire/index.js';
import { systemClock } from '../runtime/index.js';
import { PcapFileWriter } from './pcap-file.js';
import { VxlanLink, type UdpEndpoint } from './vxlan.js';

export interface VxlanHostOptions {
  readonly bind: UdpEndpoint;
  readonly remote: UdpEndpoint;
  readonly vni: number;
  readonly mac: Uint8Array;
  readonly ipv4: readonly { readonly address: string; readonly prefixLength: number }[];
  readonly ipv6: readonly { readonly address: string; readonly prefixLength: number }[];
  readonly mtu?: number;
  /** Write every frame in and out to this pcapng file (direction flags set). */
  readonly pcap?: string;
  /** Answer UDP datagrams on this port with the same bytes. */
  readonly udpEcho?: number;
  readonly trustInnerChecksums?: boolean;
  /** One line per frame in and out. */
  readonly log?: (line: string) => void;
  readonly trace?: TraceRegistry;
  readonly clock?: Clock;
}

export interface VxlanHost {
  readonly link: VxlanLink;
  readonly stack: Stack;
  readonly bound: UdpEndpoint;
  stop(): Promise<void>;
}

/**
 * A host on a VXLAN segment: the tunnel endpoint, the netrx stack on it
 * (ARP, IPv4 with ping, IPv6 with neighbour discovery and ping -6, UDP), and
 * optionally a UDP echo service, a pcapng file of what it sees and a log.
 * This is `netrx link vxlan` and the `link.vxlan` section of `netrx up`.
 */
export async function startVxlanHost(options: VxlanHostOptions): Promise<VxlanHost> {
  const clock = options.clock ?? systemClock;
  const link = new VxlanLink({
    bind: options.bind,
    remote: options.remote,
    vni: options.vni,
    mac: options.mac,
    timestamps: options.pcap !== undefined,
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    ...(options.trustInnerChecksums === undefined
      ? {}
      : { trustInnerChecksums: options.trustInnerChecksums }),
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    clock,
  });
  // Bound first, so the stack's first frames (gratuitous ARP, DAD) go out.
  const bound = await link.start();
  const stack = createStack({
    adapter: link.adapter,
    clock,
    ipv4: options.ipv4,
    ipv6: options.ipv6,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const pcapPath = options.pcap;
    if (pcapPath !== undefined) {
      const writer = await PcapFileWriter.open(pcapPath, { format: 'pcapng' });
      await writer.addInterface({
        linkType: 1,
        name: link.adapter.name,
        resolution: NANOSECONDS,
      });
      const tap = stack.capture((frame, direction, oob) => {
        const millis = oob.timestamp ?? clock.now();
        // The frame is valid only during the call: the writer encodes it at once.
        void writer.write({
          timestamp: BigInt(Math.round(millis * 1e6)),
          data: frame,
          flags: { direction: direction === 'in' ? 'inbound' : 'outbound' },
        });
      });
      cleanups.push(async () => {
        tap.close();
        await writer.close();
      });
    }
    if (options.log !== undefined) {
      const log = options.log;
      const tap = stack.capture((frame, direction) => {
        const type = frame.length >= 14 ? ((frame[12] as number) << 8) | (frame[13] as number) : 0;
        log(
          `${direction === 'in' ? '<-' : '->'} ${frame.length} bytes, EtherType 0x${type.toString(16).padStart(4, '0')}`,
        );
      });
      cleanups.push(() => tap.close());
    }
    if (options.udpEcho !== undefined) {
      const socket = stack.udp.bind({ port: options.udpEcho });
      let running = true;
      const loop = async () => {
        while (running) {
          const done = await socket.receive().done;
          if (done.status !== 'data') return;
          socket.send(done.data, { address: done.meta.address, port: done.meta.port });
        }
      };
      void loop();
      cleanups.push(() => {
        running = false;
        socket.close();
      });
    }
    return {
      link,
      stack,
      bound,
      stop: async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
        stack.close();
        await link.close();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    stack.close();
    await link.close();
    throw error;
  }
}
