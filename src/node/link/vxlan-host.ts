import { createStack, openCaptureTap, type CaptureTap, type Stack } from '../../link/index.js';
import type { Clock, NetrxError } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { NANOSECONDS } from '../../wire/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import { attach8021x, type Ieee8021x, type Ieee8021xOptions } from './eapol-host.js';
import { PcapFileWriter } from './pcap-file.js';
import { VxlanLink, type UdpEndpoint } from './vxlan.js';

export interface VxlanHostOptions {
  readonly bind: UdpEndpoint;
  readonly remote: UdpEndpoint;
  /** Source addresses accepted besides the remote's (see `VxlanLinkOptions.allowedSources`). */
  readonly allowedSources?: readonly string[];
  readonly vni: number;
  readonly mac: Uint8Array;
  readonly ipv4: readonly { readonly address: string; readonly prefixLength: number }[];
  readonly ipv6: readonly { readonly address: string; readonly prefixLength: number }[];
  readonly mtu?: number;
  /** Default gateways, each on-link (see `StackOptions.gateway`). */
  readonly gateway?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Routes through on-link gateways (see `StackOptions.routes`); applied after `gateway`. */
  readonly routes?: readonly { readonly destination: string; readonly via: string }[];
  /** The 802.1Q VLAN id (1..4094) the host's stack lives on inside the segment; absent: untagged. */
  readonly vlan?: number;
  /**
   * Write every frame in and out to this pcapng file (direction flags set),
   * from the stack's first frame on.
   */
  readonly pcap?: string;
  /** Bound on the capture's bytes waiting for the disk; default 4 MiB (then records are dropped, counted). */
  readonly captureLimit?: number;
  /** Told once when writing the capture fails (`ERR_PCAP_WRITE`); the capture stops, the host runs on. */
  readonly onCaptureError?: (error: NetrxError) => void;
  /** Answer UDP datagrams on this port with the same bytes. */
  readonly udpEcho?: number;
  readonly trustInnerChecksums?: boolean;
  /** One line per frame in and out. */
  readonly log?: (line: string) => void;
  /**
   * 802.1X on the adapter: an authenticator (its controlled port per MAC
   * from the start: an unauthenticated MAC reaches only EAPOL) and/or a
   * supplicant, started once the socket is bound.
   */
  readonly ieee8021x?: Ieee8021xOptions;
  readonly trace?: TraceRegistry;
  readonly clock?: Clock;
}

export interface VxlanHost {
  readonly link: VxlanLink;
  readonly stack: Stack;
  readonly bound: UdpEndpoint;
  /** The capture file, when `pcap` was given: `stats()` counts records written and dropped. */
  readonly capture: PcapFileWriter | undefined;
  /** The 802.1X roles, when `ieee8021x` was given. */
  readonly ieee8021x: Ieee8021x | undefined;
  /** Stops everything; idempotent. Rejects with the capture's write failure, if there was one. */
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
    ...(options.allowedSources === undefined ? {} : { allowedSources: options.allowedSources }),
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
  // The capture file opens and its tap attaches before the stack exists, so
  // the stack's first frames (gratuitous ARP, DAD probes) are in it; the
  // socket is bound first, so those frames also go out.
  let capture: PcapFileWriter | undefined;
  let captureTap: CaptureTap | undefined;
  let stack: Stack | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  // Before the socket opens, so no frame ever passes an open port.
  const ieee8021x =
    options.ieee8021x === undefined
      ? undefined
      : attach8021x(link.adapter, options.ieee8021x, clock, options.trace);
  if (ieee8021x !== undefined) cleanups.push(() => ieee8021x.close());
  try {
    const bound = await link.start();
    const pcapPath = options.pcap;
    if (pcapPath !== undefined) {
      const onError = options.onCaptureError;
      capture = await PcapFileWriter.open(pcapPath, {
        format: 'pcapng',
        ...(options.captureLimit === undefined ? {} : { maxPendingBytes: options.captureLimit }),
        ...(onError === undefined ? {} : { onError }),
        ...(options.trace === undefined ? {} : { trace: options.trace }),
      });
      await capture.addInterface({ linkType: 1, name: link.adapter.name, resolution: NANOSECONDS });
      const writer = capture;
      captureTap = openCaptureTap(link.adapter, (frame, direction, oob) => {
        const millis = oob.timestamp ?? clock.now();
        // The frame is valid only during the call: `record` encodes (copies) it at once,
        // and drops (counted) rather than queue without bound.
        writer.record({
          timestamp: BigInt(Math.round(millis * 1e6)),
          data: frame,
          flags: { direction: direction === 'in' ? 'inbound' : 'outbound' },
        });
      });
    }
    if (options.log !== undefined) {
      const log = options.log;
      const tap = openCaptureTap(link.adapter, (frame, direction) => {
        const type = frame.length >= 14 ? ((frame[12] as number) << 8) | (frame[13] as number) : 0;
        log(
          `${direction === 'in' ? '<-' : '->'} ${frame.length} bytes, EtherType 0x${type.toString(16).padStart(4, '0')}`,
        );
      });
      cleanups.push(() => tap.close());
    }
    stack = createStack({
      adapter: link.adapter,
      clock,
      crypto: nodeCrypto,
      ipv4: options.ipv4,
      ipv6: options.ipv6,
      ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
      ...(options.routes === undefined ? {} : { routes: options.routes }),
      ...(options.vlan === undefined ? {} : { vlan: options.vlan }),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
    });
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
    ieee8021x?.supplicant?.start();
    const running = stack;
    let stopped: Promise<void> | undefined;
    return {
      link,
      stack: running,
      bound,
      capture,
      ieee8021x,
      stop: () =>
        (stopped ??= (async () => {
          for (const cleanup of cleanups.reverse()) await cleanup();
          running.close();
          try {
            await closeCapture(captureTap, capture);
          } finally {
            await link.close();
          }
        })()),
    };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    stack?.close();
    await closeCapture(captureTap, capture).catch(() => undefined);
    await link.close();
    throw error;
  }
}

/** Detaches the capture and closes its file; rejects with a write failure (already reported). */
async function closeCapture(
  tap: CaptureTap | undefined,
  capture: PcapFileWriter | undefined,
): Promise<void> {
  tap?.close();
  await capture?.close();
}
