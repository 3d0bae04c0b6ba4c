import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Adapter, LinkEvent, type OutOfBand } from '../../link/index.js';
import type { Clock } from '../../runtime/index.js';
import type { TraceProvider, TraceRegistry } from '../../trace/index.js';
import { LINK_PROVIDER } from '../../link/index.js';
import { emitVxlan, VXLAN_FLAG_I, VXLAN_HEADER_LENGTH } from '../../wire/index.js';
import { systemClock } from '../runtime/index.js';
import { canonicalAddress } from './addresses.js';
import { NodeLinkEvent } from './events.js';

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface VxlanLinkOptions {
  /** Where to listen for VXLAN datagrams. */
  readonly bind: UdpEndpoint;
  /**
   * The VTEP that frames are sent to: its configured port, never the sender's
   * source port. Its address is also the first allowed source.
   */
  readonly remote: UdpEndpoint;
  /**
   * More source addresses whose datagrams are accepted besides `remote`'s
   * (other VTEPs of the segment, a second address of the peer). Any source
   * port is accepted: Linux hashes each flow onto a source-port range.
   * Datagrams from any other address are dropped, counted
   * (`dropped.foreignSource`) and traced (`VxlanSourceRefused`).
   */
  readonly allowedSources?: readonly string[];
  /** The 24-bit VXLAN network identifier; datagrams for any other VNI are dropped. */
  readonly vni: number;
  /** The MAC address of netrx on the segment. */
  readonly mac: Uint8Array;
  /** Inner MTU. Default 1450 (1500 − outer IPv4, UDP and VXLAN headers − inner Ethernet). */
  readonly mtu?: number;
  /**
   * Mark inner IPv4/UDP/TCP checksums as verified. A Linux VTEP with tx
   * checksum offload on sends inner UDP/TCP checksums unfinished; say so here
   * (or turn offload off on the peer) rather than drop those frames.
   */
  readonly trustInnerChecksums?: boolean;
  /** Stamp each frame's out-of-band data with the clock's time (costs a clock read per frame). Default false. */
  readonly timestamps?: boolean;
  readonly name?: string;
  readonly trace?: TraceRegistry;
  readonly clock?: Clock;
}

export interface VxlanLinkStats {
  readonly datagrams: number;
  readonly sent: number;
  readonly sendErrors: number;
  readonly dropped: {
    readonly short: number;
    readonly noIFlag: number;
    readonly otherVni: number;
    /** Datagrams from an address that is neither the remote nor an allowed source. */
    readonly foreignSource: number;
    readonly oversize: number;
    /** Frames sent before `start()` bound the socket. */
    readonly notStarted: number;
  };
}

/**
 * A VXLAN tunnel endpoint (RFC 7348) as a netrx link adapter: each UDP
 * datagram carrying the configured VNI is indicated to the adapter as an
 * Ethernet frame (a view, no copy), and `receiveComplete` runs once per
 * event-loop turn, after the burst of datagrams that turn delivered. Frames
 * the bindings send go out with the VXLAN header prepended by scatter/gather
 * (no copy) to the configured remote port.
 */
export class VxlanLink {
  readonly adapter: Adapter;
  private readonly options: VxlanLinkOptions;
  private readonly socket: Socket;
  private readonly header: Uint8Array;
  private readonly trace: TraceProvider | undefined;
  private readonly clock: Clock;
  private readonly oob: OutOfBand;
  private completionScheduled = false;
  // Reused for every datagram: indicate reads it synchronously and keeps nothing.
  private readonly indicateOptions: { oob: OutOfBand } = { oob: {} };
  private datagrams = 0;
  private sent = 0;
  private sendErrors = 0;
  private readonly drops = {
    short: 0,
    noIFlag: 0,
    otherVni: 0,
    foreignSource: 0,
    oversize: 0,
    notStarted: 0,
  };
  /** Source addresses accepted, as Node reports them (an IPv4 one also in its IPv4-mapped form). */
  private readonly allowed: ReadonlySet<string>;
  /** The address of the last datagram `allowed` admitted (see onDatagram). */
  private lastAllowed: string | undefined;
  private started = false;

  constructor(options: VxlanLinkOptions) {
    if (!Number.isInteger(options.vni) || options.vni < 0 || options.vni > 0xffffff) {
      throw new RangeError(`VNI must be an integer from 0 to 16777215: got ${options.vni}`);
    }
    this.allowed = allowedSourceSet(options.remote.address, options.allowedSources ?? []);
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.trace = options.trace?.register(LINK_PROVIDER);
    this.oob = options.trustInnerChecksums
      ? Object.freeze({ checksumVerified: { ipv4: true, udp: true, tcp: true } })
      : Object.freeze({});
    this.header = new Uint8Array(VXLAN_HEADER_LENGTH);
    emitVxlan({ flags: VXLAN_FLAG_I, reserved1: 0, vni: options.vni, reserved2: 0 }, this.header);
    this.adapter = new Adapter({
      name: options.name ?? `vxlan${options.vni}`,
      mac: options.mac,
      mtu: options.mtu ?? 1450,
      transmit: (frame) => this.transmit(frame),
      ...(options.trace === undefined ? {} : { trace: options.trace }),
    });
    this.socket = createSocket({ type: isIPv6(options.bind.address) ? 'udp6' : 'udp4' });
    this.socket.on('message', (message: Buffer, remote: RemoteInfo) =>
      this.onDatagram(message, remote),
    );
  }

  /** Binds the UDP socket; resolves with the bound endpoint, rejects with a one-line reason. */
  start(): Promise<UdpEndpoint> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          new Error(
            `cannot bind UDP ${this.options.bind.address}:${this.options.bind.port}: ${error.code ?? error.message}`,
          ),
        );
      };
      this.socket.once('error', onError);
      this.socket.bind(this.options.bind.port, this.options.bind.address, () => {
        this.socket.off('error', onError);
        this.started = true;
        // A socket error after bind (ICMP port unreachable from the peer, say) is counted, not fatal.
        this.socket.on('error', () => void this.sendErrors++);
        const address = this.socket.address();
        resolve({ address: address.address, port: address.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  stats(): VxlanLinkStats {
    return {
      datagrams: this.datagrams,
      sent: this.sent,
      sendErrors: this.sendErrors,
      dropped: { ...this.drops },
    };
  }

  /** The source addresses accepted, canonical, in the order given (the remote first). */
  allowedSources(): string[] {
    return [...this.allowed].filter((address) => !address.startsWith('::ffff:'));
  }

  private onDatagram(message: Buffer, remote: RemoteInfo): void {
    this.datagrams++;
    // First, before looking at the bytes: a VNI is no secret, the sender's address is what we trust.
    // The last allowed sender is remembered: one compare instead of a hash
    // lookup for the usual run of datagrams from one peer (the set never changes).
    const address = remote.address;
    if (address !== this.lastAllowed) {
      if (!this.allowed.has(address)) return this.refuse(remote, message.length);
      this.lastAllowed = address;
    }
    // Read in place rather than through VxlanPacket.checked, which makes a view
    // and a result object per datagram on the hottest path of the adapter.
    if (message.length < VXLAN_HEADER_LENGTH + 14) return this.drop('short', message.length);
    if (((message[0] as number) & VXLAN_FLAG_I) === 0) return this.drop('noIFlag', message.length);
    const vni =
      ((message[4] as number) << 16) | ((message[5] as number) << 8) | (message[6] as number);
    if (vni !== this.options.vni) return this.drop('otherVni', message.length);
    const oob: OutOfBand = this.options.timestamps
      ? { checksumVerified: this.oob.checksumVerified, timestamp: this.clock.now() }
      : this.oob;
    // A plain Uint8Array view: Buffer#subarray goes through Buffer's constructor and costs more.
    const frame = new Uint8Array(
      message.buffer,
      message.byteOffset + VXLAN_HEADER_LENGTH,
      message.length - VXLAN_HEADER_LENGTH,
    );
    this.indicateOptions.oob = oob;
    this.adapter.indicate(frame, this.indicateOptions);
    if (!this.completionScheduled) {
      this.completionScheduled = true;
      setImmediate(() => {
        this.completionScheduled = false;
        this.adapter.receiveComplete();
      });
    }
  }

  private transmit(frame: Uint8Array): void {
    // Sending on an unbound dgram socket would bind it to a random port behind our back.
    if (!this.started) {
      this.drops.notStarted++;
      this.trace?.emit(LinkEvent.frameDropped, {
        adapter: this.adapter.name,
        reason: 'not-started',
        length: frame.length,
      });
      return;
    }
    if (frame.length > this.adapter.mtu + 14 + 4) {
      this.drops.oversize++;
      this.trace?.emit(LinkEvent.frameDropped, {
        adapter: this.adapter.name,
        reason: 'oversize',
        length: frame.length,
      });
      return;
    }
    this.sent++;
    this.socket.send(
      [this.header, frame],
      this.options.remote.port,
      this.options.remote.address,
      (error) => {
        if (error) this.sendErrors++;
      },
    );
  }

  private refuse(remote: RemoteInfo, length: number): void {
    this.drops.foreignSource++;
    this.trace?.emit(NodeLinkEvent.vxlanSourceRefused, {
      adapter: this.adapter.name,
      address: remote.address,
      port: remote.port,
      length,
    });
  }

  private drop(reason: keyof VxlanLinkStats['dropped'], length: number): void {
    this.drops[reason]++;
    this.trace?.emit(LinkEvent.frameDropped, {
      adapter: this.adapter.name,
      reason: `vxlan-${reason}`,
      length,
    });
  }
}

function allowedSourceSet(remote: string, extra: readonly string[]): Set<string> {
  const allowed = new Set<string>();
  for (const text of [remote, ...extra]) {
    const address = canonicalAddress(text);
    if (address === undefined) {
      throw new TypeError(
        `Allowed VXLAN source must be an IP address: got ${JSON.stringify(text)}`,
      );
    }
    allowed.add(address);
    // A dual-stack (udp6) socket reports an IPv4 sender in its IPv4-mapped form.
    if (!address.includes(':')) allowed.add(`::ffff:${address}`);
  }
  return allowed;
}
