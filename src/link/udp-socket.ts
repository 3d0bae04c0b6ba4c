/**
 * UDP sockets over the link stack (RFC 768), received through the
 * posted-receive model of netrx/receive: each socket is a `Receiver` with
 * message framing, so `receive()` returns a `PendingReceive` at once that
 * completes with one datagram (meta: who sent it), a timeout, an abort, or
 * `disconnected` when the socket closes. Datagrams that arrive with no
 * receive posted wait in a bounded queue; past it they are dropped and
 * counted (`stats().dropped`). The IPv4 and IPv6 bindings demultiplex to
 * sockets through `UdpSockets.lookup*`, which allocates nothing; whether the
 * socket can take the datagram is asked first, so a refused one costs no
 * copy and no address text; the payload is copied once on delivery because
 * indication views die with the call. A receive posted with a buffer
 * smaller than the datagram gets what fits and `truncated: true`, and the
 * rest is discarded (a datagram socket's MSG_TRUNC): a datagram is never
 * split over receives.
 *
 * Binding rules: one socket per port and address; a wildcard (no address, or
 * 0.0.0.0 / ::) conflicts with every address of its family(ies). A taken
 * port fails with `ERR_LINK_PORT_IN_USE`; port 0 picks a free ephemeral port
 * (49152–65535), `ERR_LINK_NO_EPHEMERAL_PORT` when none is left.
 */
import type { PendingReceive, PostReceiveOptions, ReceiverStats } from '../receive/index.js';
import { Receiver } from '../receive/index.js';
import { NetrxError, type Clock } from '../runtime/index.js';
import {
  formatIpv4Address,
  formatIpv6Address,
  parseIpv4Address,
  parseIpv6Address,
} from '../wire/index.js';

/** Who sent a datagram (or where one goes). */
export interface UdpMeta {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

export interface UdpBindOptions {
  /** 0 (default) picks an ephemeral port. */
  readonly port?: number;
  /** A local address: IPv4 or IPv6 text. Absent: every address of both families; 0.0.0.0 or ::, every address of one. */
  readonly address?: string;
  /** Datagrams that may wait with no receive posted. Default from the stack (256). */
  readonly maxQueued?: number;
  /** Bytes that may wait. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
}

/** The outcome of a send, as the IP layer reports it. */
export type UdpSendResult = 'sent' | 'queued' | 'dropped';

export interface UdpSocketStats extends ReceiverStats {
  readonly port: number;
  readonly address: string | undefined;
  readonly received: number;
  readonly receivedBytes: number;
  readonly sent: number;
  readonly sentBytes: number;
  /** Sends the IP layer dropped (no route, no source address, resolution refused). */
  readonly sendDrops: number;
}

/** What the sockets send through: the IPv4 and IPv6 bindings. */
export interface UdpTransport {
  readonly sendUdp4?: (
    source: number | undefined,
    sourcePort: number,
    destination: number,
    destinationPort: number,
    data: Uint8Array,
  ) => UdpSendResult;
  readonly sendUdp6?: (
    source: Uint8Array | undefined,
    sourcePort: number,
    destination: Uint8Array,
    destinationPort: number,
    data: Uint8Array,
  ) => UdpSendResult;
}

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/** A bound UDP socket; made by `UdpSockets.bind` (`stack.udp.bind`). */
export class UdpSocket {
  readonly port: number;
  /** The bound address text, or undefined for every address. */
  readonly address: string | undefined;
  /** @internal 4, 6, or 0 for both families. */ readonly family: 0 | 4 | 6;
  /** @internal uint32, or -1 for any. */ readonly address4: number;
  /** @internal 16 bytes, or undefined for any. */ readonly address6: Uint8Array | undefined;
  private readonly receiver: Receiver<UdpMeta>;
  private closed = false;
  private counters = { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0, sendDrops: 0 };

  /** @internal */
  constructor(
    private readonly owner: UdpSockets,
    port: number,
    address: string | undefined,
    family: 0 | 4 | 6,
    address4: number,
    address6: Uint8Array | undefined,
    clock: Clock,
    maxQueued: number,
    maxQueuedBytes: number,
  ) {
    this.port = port;
    this.address = address;
    this.family = family;
    this.address4 = address4;
    this.address6 = address6;
    this.receiver = new Receiver<UdpMeta>({
      clock,
      outstanding: 'queued',
      framing: 'message',
      oversize: 'truncate',
      maxQueuedItems: maxQueued,
      maxQueuedBytes,
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Posts a receive: completes with one datagram (`data`, `meta`), `timeout`,
   * `aborted`, or `disconnected` once the socket is closed. With a buffer
   * smaller than the datagram, what fits is delivered with `truncated: true`
   * and the rest is discarded (`stats().truncated`).
   */
  receive(options?: PostReceiveOptions): PendingReceive<UdpMeta> {
    return this.receiver.receive(options);
  }

  /**
   * Sends `data` to `to`. Throws `ERR_LINK_SOCKET_CLOSED` after close,
   * `TypeError`/`RangeError` for a destination that is not an address or a
   * port of the socket's family, `ERR_LINK_BAD_DESTINATION` for one no
   * datagram may go to (loopback, unspecified, ...), and
   * `ERR_LINK_DATAGRAM_TOO_LARGE` past one IP datagram (65,507 bytes over
   * IPv4, 65,527 over IPv6; anything larger than the MTU is fragmented);
   * returns what the IP layer did with it.
   */
  send(data: Uint8Array, to: { readonly address: string; readonly port: number }): UdpSendResult {
    if (this.closed) {
      throw new NetrxError(
        'ERR_LINK_SOCKET_CLOSED',
        `Cannot send: UDP socket on port ${this.port} is closed`,
      );
    }
    if (!(data instanceof Uint8Array)) throw new TypeError('UDP data must be a Uint8Array');
    checkPort(to.port, false);
    const result = this.owner.transmit(this, data, to.address, to.port);
    if (result === 'dropped') this.counters.sendDrops++;
    else {
      this.counters.sent++;
      this.counters.sentBytes += data.length;
    }
    return result;
  }

  /** Closes the socket: waiting receives complete `disconnected`, the port is free again. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.release(this);
    this.receiver.disconnect(
      new NetrxError('ERR_LINK_SOCKET_CLOSED', `UDP socket on port ${this.port} was closed`),
    );
  }

  stats(): UdpSocketStats {
    return { ...this.receiver.stats(), ...this.counters, port: this.port, address: this.address };
  }

  /** @internal Whether a datagram of `length` bytes would be taken now; counts a drop when not. */
  admits(length: number): boolean {
    if (this.receiver.wouldAccept(length)) return true;
    this.receiver.refuse(length);
    return false;
  }

  /** @internal Delivers a datagram `admits` said yes to (copied here: the caller's bytes are an indication view). */
  deliver(bytes: Uint8Array, start: number, end: number, meta: UdpMeta): void {
    // Deliberate copy: the indication's view is valid only during its call.
    const data = bytes.slice(start, end);
    this.receiver.push(data, meta);
    this.counters.received++;
    this.counters.receivedBytes += data.length;
  }
}

export interface UdpSocketsOptions {
  readonly clock: Clock;
  /** Default receive queue per socket. Default 256 datagrams. */
  readonly maxQueued?: number;
}

/** The socket table: binds ports and demultiplexes datagrams to sockets. */
export class UdpSockets {
  /** Set by the stack once the IP bindings exist. */
  transport: UdpTransport = {};
  private readonly clock: Clock;
  private readonly maxQueued: number;
  private readonly ports = new Map<number, UdpSocket[]>();
  private nextEphemeral = 0;
  /** Datagrams that found no socket, or a socket whose queue was full. */
  noSocket = 0;
  queueDrops = 0;

  constructor(options: UdpSocketsOptions) {
    this.clock = options.clock;
    this.maxQueued = options.maxQueued ?? 256;
  }

  /** Binds a socket; see the file comment for the rules and error codes. */
  bind(options: UdpBindOptions = {}): UdpSocket {
    const requested = options.port ?? 0;
    checkPort(requested, true);
    let family: 0 | 4 | 6 = 0;
    let address4 = -1;
    let address6: Uint8Array | undefined;
    const text = options.address;
    if (text !== undefined) {
      if (text.includes(':')) {
        const parsed = parseIpv6Address(text);
        if (parsed === undefined)
          throw new TypeError(`Not an IPv6 address: ${JSON.stringify(text)}`);
        family = 6;
        address6 = parsed.every((b) => b === 0) ? undefined : parsed;
      } else {
        const parsed = parseIpv4Address(text);
        if (parsed === undefined)
          throw new TypeError(`Not an IPv4 address: ${JSON.stringify(text)}`);
        family = 4;
        address4 = parsed === 0 ? -1 : parsed;
      }
    }
    const probe = { family, address4, address6 };
    let port = requested;
    if (port === 0) {
      port = -1;
      for (let i = 0; i < EPHEMERAL_COUNT; i++) {
        const candidate = EPHEMERAL_FIRST + ((this.nextEphemeral + i) % EPHEMERAL_COUNT);
        if (!this.conflicts(candidate, probe)) {
          port = candidate;
          this.nextEphemeral = (candidate - EPHEMERAL_FIRST + 1) % EPHEMERAL_COUNT;
          break;
        }
      }
      if (port < 0) {
        throw new NetrxError(
          'ERR_LINK_NO_EPHEMERAL_PORT',
          'Cannot bind: every ephemeral UDP port is in use',
        );
      }
    } else if (this.conflicts(port, probe)) {
      throw new NetrxError(
        'ERR_LINK_PORT_IN_USE',
        `Cannot bind UDP port ${port}${text === undefined ? '' : ` on ${text}`}: it is in use`,
      );
    }
    const socket = new UdpSocket(
      this,
      port,
      text,
      family,
      address4,
      address6,
      this.clock,
      options.maxQueued ?? this.maxQueued,
      options.maxQueuedBytes ?? 1024 * 1024,
    );
    const list = this.ports.get(port);
    if (list === undefined) this.ports.set(port, [socket]);
    else list.push(socket);
    return socket;
  }

  /** Sockets bound now. */
  get size(): number {
    let count = 0;
    for (const list of this.ports.values()) count += list.length;
    return count;
  }

  /** The socket for an IPv4 datagram to `address:port`, specific before wildcard. No allocation. */
  lookup4(address: number, port: number): UdpSocket | undefined {
    const list = this.ports.get(port);
    if (list === undefined) return undefined;
    let wildcard: UdpSocket | undefined;
    for (const socket of list) {
      if (socket.family === 6) continue;
      if (socket.address4 === address) return socket;
      if (socket.address4 < 0) wildcard = socket;
    }
    return wildcard;
  }

  /** The socket for an IPv6 datagram to the address at `bytes[at..at+16)`. No allocation. */
  lookup6(bytes: Uint8Array, at: number, port: number): UdpSocket | undefined {
    const list = this.ports.get(port);
    if (list === undefined) return undefined;
    let wildcard: UdpSocket | undefined;
    for (const socket of list) {
      if (socket.family === 4) continue;
      const own = socket.address6;
      if (own === undefined) {
        wildcard = socket;
        continue;
      }
      let same = true;
      for (let i = 0; i < 16; i++) {
        if (bytes[at + i] !== own[i]) {
          same = false;
          break;
        }
      }
      if (same) return socket;
    }
    return wildcard;
  }

  /** Delivers to the socket for the datagram, counting drops; false when none took it. */
  deliver4(
    source: number,
    sourcePort: number,
    destination: number,
    port: number,
    bytes: Uint8Array,
    start: number,
    end: number,
  ): 'delivered' | 'no-socket' | 'queue-full' {
    const socket = this.lookup4(destination, port);
    if (socket === undefined) {
      this.noSocket++;
      return 'no-socket';
    }
    if (!socket.admits(end - start)) {
      this.queueDrops++;
      return 'queue-full';
    }
    socket.deliver(bytes, start, end, {
      address: formatIpv4Address(source),
      port: sourcePort,
      family: 4,
    });
    return 'delivered';
  }

  deliver6(
    packet: Uint8Array,
    sourcePort: number,
    port: number,
    start: number,
    end: number,
  ): 'delivered' | 'no-socket' | 'queue-full' {
    const socket = this.lookup6(packet, 24, port);
    if (socket === undefined) {
      this.noSocket++;
      return 'no-socket';
    }
    if (!socket.admits(end - start)) {
      this.queueDrops++;
      return 'queue-full';
    }
    socket.deliver(packet, start, end, {
      address: formatIpv6Address(packet, 8),
      port: sourcePort,
      family: 6,
    });
    return 'delivered';
  }

  /** Closes every socket. */
  closeAll(): void {
    for (const list of [...this.ports.values()]) for (const socket of [...list]) socket.close();
  }

  /** @internal */
  release(socket: UdpSocket): void {
    const list = this.ports.get(socket.port);
    if (list === undefined) return;
    const at = list.indexOf(socket);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.ports.delete(socket.port);
  }

  private lastText4 = '';
  private lastAddress4 = 0;

  /** @internal */
  transmit(socket: UdpSocket, data: Uint8Array, address: string, port: number): UdpSendResult {
    if (address.includes(':')) {
      const destination = parseIpv6Address(address);
      if (destination === undefined)
        throw new TypeError(`Not an IPv6 address: ${JSON.stringify(address)}`);
      if (socket.family === 4) throw new TypeError(`Cannot send to ${address} from an IPv4 socket`);
      const send = this.transport.sendUdp6;
      if (send === undefined) return 'dropped';
      return send(socket.address6, socket.port, destination, port, data);
    }
    // A one-entry cache of the last destination's text: parsing it was a
    // sixth of a send's CPU (link-review3 perf.md), and a socket mostly
    // sends to one peer after another.
    let destination: number | undefined;
    if (address === this.lastText4) destination = this.lastAddress4;
    else {
      destination = parseIpv4Address(address);
      if (destination === undefined)
        throw new TypeError(`Not an IPv4 address: ${JSON.stringify(address)}`);
      this.lastText4 = address;
      this.lastAddress4 = destination;
    }
    if (socket.family === 6) throw new TypeError(`Cannot send to ${address} from an IPv6 socket`);
    const send = this.transport.sendUdp4;
    if (send === undefined) return 'dropped';
    return send(
      socket.address4 < 0 ? undefined : socket.address4,
      socket.port,
      destination,
      port,
      data,
    );
  }

  private conflicts(
    port: number,
    probe: { family: 0 | 4 | 6; address4: number; address6: Uint8Array | undefined },
  ): boolean {
    const list = this.ports.get(port);
    if (list === undefined) return false;
    for (const socket of list) {
      const v4 = probe.family !== 6 && socket.family !== 6;
      const v6 = probe.family !== 4 && socket.family !== 4;
      if (v4 && (probe.address4 < 0 || socket.address4 < 0 || probe.address4 === socket.address4))
        return true;
      if (v6) {
        const a = probe.address6;
        const b = socket.address6;
        if (a === undefined || b === undefined || a.every((x, i) => x === b[i])) return true;
      }
    }
    return false;
  }
}

function checkPort(port: number, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new RangeError(
      `A UDP port must be an integer from ${allowZero ? 0 : 1} to 65535: got ${port}`,
    );
  }
}
