/**
 * Admission for the capture WebSocket transports, before a connection is
 * authenticated:
 *
 * - **One pre-auth deadline** from TCP accept to an authenticated upgrade
 *   (TLS handshake, HTTP request head, bearer check: all of it). Node bounds
 *   each phase on its own, and the TLS one not at all by default (120 s), so
 *   a client that opens TCP and never finishes TLS held a socket for
 *   minutes. Here a timer is armed on the raw socket at `'connection'` and
 *   cleared by `passed(socket)` once the upgrade is authenticated (or, on a
 *   server that also answers plain requests, once a request arrived); when it
 *   fires the socket is destroyed, counted and traced (`pre-auth-timeout`).
 * - **A per-address cap** (`maxPerAddress`, counted from TCP accept to close,
 *   under `remoteAddressKey`: all of loopback is one address, IPv6 counts by
 *   its /64, as the host's login limiter and ConnectionGuard count): one more
 *   socket from that address is refused at once, counted and traced
 *   (`address-limit`): over plain TCP with `429 Too Many Requests`; under TLS
 *   it is destroyed before the handshake (no HTTP can be spoken there without
 *   spending one on it).
 *
 * The TLS socket Node hands the upgrade handler is a different object from
 * the raw socket `'connection'` saw; both report the same remote address and
 * port, which is the key (unique among a server's open sockets).
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CAPTURE_WS_PROVIDER, CaptureWsEvent } from '../../capture/index.js';
import { buildRejection } from '../../websocket/index.js';
import type { Clock, Timer } from '../../runtime/index.js';
import type { TraceProvider, TraceRegistry } from '../../trace/index.js';
import { remoteAddressKey } from '../runtime/remote-address.js';

/** The pre-auth deadline's default (ms): TCP accept to authenticated upgrade. */
export const DEFAULT_PRE_AUTH_TIMEOUT_MS = 10_000;
/** Sockets one remote address may hold at once (capture WebSocket). */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 16;

export interface AdmissionOptions {
  readonly clock: Clock;
  /** TCP accept to authenticated upgrade, in ms. */
  readonly preAuthTimeoutMs: number;
  /** Sockets per remote address (undefined: no cap). */
  readonly maxPerAddress?: number;
  /** Whether the server speaks TLS (a refusal then cannot be an HTTP answer). */
  readonly tls: boolean;
  readonly trace?: TraceRegistry;
}

export interface AdmissionStats {
  /** Sockets cut for not reaching an authenticated upgrade in time. */
  readonly preAuthTimeouts: number;
  /** Sockets refused past `maxPerAddress`. */
  readonly addressRefused: number;
  /** Sockets now between accept and authenticated upgrade. */
  readonly preAuth: number;
  /** Remote addresses now holding a counted socket (entries at 0 are deleted). */
  readonly addresses: number;
}

function keyOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }) {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? 0}`;
}

export class ConnectionAdmission {
  private readonly options: AdmissionOptions;
  private readonly pending = new Map<string, Timer>();
  private readonly perAddress = new Map<string, number>();
  private readonly trace: TraceProvider | undefined;
  private counters = { preAuthTimeouts: 0, addressRefused: 0 };

  constructor(options: AdmissionOptions) {
    if (!Number.isInteger(options.preAuthTimeoutMs) || options.preAuthTimeoutMs < 1) {
      throw new RangeError(
        `preAuthTimeoutMs must be a positive integer: got ${options.preAuthTimeoutMs}`,
      );
    }
    const cap = options.maxPerAddress;
    if (cap !== undefined && (!Number.isInteger(cap) || cap < 1)) {
      throw new RangeError(`maxConnectionsPerAddress must be a positive integer: got ${cap}`);
    }
    this.options = options;
    this.trace = options.trace?.register(CAPTURE_WS_PROVIDER);
  }

  /** Watches every socket `server` accepts (TCP level, before any TLS). */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accepted(socket));
  }

  /** The socket's client is authenticated (or asked for something that needs no deadline). */
  passed(socket: Duplex): void {
    const key = keyOf(socket as Socket);
    this.pending.get(key)?.cancel();
    this.pending.delete(key);
  }

  stats(): AdmissionStats {
    return { ...this.counters, preAuth: this.pending.size, addresses: this.perAddress.size };
  }

  private accepted(socket: Socket): void {
    const address = socket.remoteAddress ?? '?';
    // Counted under the shared key (127.0.0.2 is 127.0.0.1); traced as it came.
    const counted = remoteAddressKey(socket.remoteAddress);
    const cap = this.options.maxPerAddress;
    const held = this.perAddress.get(counted) ?? 0;
    if (cap !== undefined && held >= cap) {
      this.counters.addressRefused++;
      this.trace?.emit(CaptureWsEvent.connectionRefused, { address, reason: 'address-limit' });
      socket.on('error', () => undefined);
      if (this.options.tls) socket.destroy();
      else
        socket.end(
          buildRejection({ status: 429, headers: [['Retry-After', '1']] }),
          // A peer that does not read its answer must not keep the socket.
          () => socket.destroy(),
        );
      return;
    }
    if (cap !== undefined) this.perAddress.set(counted, held + 1);
    const key = keyOf(socket);
    const timer = this.options.clock.setTimer(this.options.preAuthTimeoutMs, () => {
      this.pending.delete(key);
      this.counters.preAuthTimeouts++;
      this.trace?.emit(CaptureWsEvent.connectionDropped, { address, reason: 'pre-auth-timeout' });
      socket.destroy();
    });
    this.pending.set(key, timer);
    socket.once('close', () => {
      if (this.pending.get(key) === timer) {
        timer.cancel();
        this.pending.delete(key);
      }
      if (cap === undefined) return;
      const left = (this.perAddress.get(counted) ?? 1) - 1;
      if (left > 0) this.perAddress.set(counted, left);
      else this.perAddress.delete(counted);
    });
  }
}
