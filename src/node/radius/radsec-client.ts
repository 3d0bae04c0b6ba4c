/**
 * The client side of RadSec (RFC 6614): one TLS connection to a RADIUS
 * server (port 2083), this side's certificate shown, the server's checked
 * against the CA and name; packets cut from the stream by
 * `RadiusStreamFramer` (a bad Length closes it, RFC 6613 §2.6.4).
 *
 * No retransmission over the stream (RFC 6613 §2.6.1, RFC 3539): a request
 * is written once; the RADIUS client core above runs with `retries: 0`,
 * so an unanswered request times out instead of being resent. The
 * connection's liveness is its watchdog (RFC 3539 §3.4, with Status-Server
 * as the probe, RFC 5997 §4.2 and RFC 6613 §2.6.2): after `watchdogMs`
 * with nothing received, one Status-Server goes out; no verified answer
 * within `watchdogMs` more closes the connection (`watchdog-timeout`).
 */
import * as tls from 'node:tls';
import {
  RADSEC_SECRET,
  RadiusCode,
  RadiusStreamFramer,
  checkResponse,
  parseRadius,
  signAccessRequest,
} from '../../radius/index.js';
import { nodeCrypto } from '../runtime/crypto.js';

export interface RadSecConnectOptions {
  readonly host: string;
  /** Default 2083. */
  readonly port?: number;
  /** PEM CA(s) the server certificate must chain to. */
  readonly ca: string | Uint8Array;
  /** This client's certificate and key (RadSec is mutual TLS). */
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** The name the server certificate must carry (and SNI); default: not checked beyond the CA. */
  readonly serverName?: string;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Status-Server after this long with nothing received; 0 turns the watchdog off. Default 30 000 ms (RFC 3539 Tw). */
  readonly watchdogMs?: number;
  /** Default `radsec`. */
  readonly secret?: string;
  readonly maxPacketLength?: number;
}

export class RadSecConnection {
  /** Every packet the server sends, but the watchdog's answers. */
  onPacket: (packet: Uint8Array) => void = () => {};
  /** Why it closed, once it has. */
  reason: string | undefined;
  readonly closed: Promise<string>;
  /** The negotiated TLS version. */
  readonly protocol: string;
  private readonly socket: tls.TLSSocket;
  private readonly framer: RadiusStreamFramer;
  private readonly secret: Uint8Array;
  private readonly watchdogMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private probe:
    { identifier: number; authenticator: Uint8Array; resolve: (ok: boolean) => void } | undefined;
  private resolveClosed!: (reason: string) => void;
  statusServersSent = 0;
  statusServersAnswered = 0;

  private constructor(socket: tls.TLSSocket, options: RadSecConnectOptions) {
    this.socket = socket;
    this.protocol = socket.getProtocol() ?? '';
    this.secret = new TextEncoder().encode(options.secret ?? RADSEC_SECRET);
    this.watchdogMs = options.watchdogMs ?? 30_000;
    this.framer = new RadiusStreamFramer(
      options.maxPacketLength === undefined ? {} : { maxPacketLength: options.maxPacketLength },
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => {
      this.arm();
      const failure = this.framer.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        (packet) => this.packet(packet),
      );
      if (failure !== undefined) this.close(`framing:${failure.code}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.close(`error:${error.code ?? 'unknown'}`),
    );
    socket.on('close', () => this.close('peer-closed'));
    this.arm();
  }

  /** Connects and finishes the handshake; rejects with the TLS error (bad certificate, …). */
  static connect(options: RadSecConnectOptions): Promise<RadSecConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: options.host,
        port: options.port ?? 2083,
        ca: options.ca as string,
        cert: options.cert as string,
        key: options.key as string,
        minVersion: options.minVersion ?? 'TLSv1.2',
        ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
        // The name to check; without one only the CA is checked (an address is not a name).
        ...(options.serverName === undefined
          ? { checkServerIdentity: () => undefined }
          : { servername: options.serverName }),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RadSec: no TLS handshake with ${options.host} within the timeout`));
      }, options.connectTimeoutMs ?? 10_000);
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        // Request and answer, one small packet each way: Nagle would hold requests back.
        socket.setNoDelay(true);
        socket.removeAllListeners('error');
        resolve(new RadSecConnection(socket, options));
      });
    });
  }

  /** Writes one packet, once (no retransmission over TCP). */
  send(packet: Uint8Array): void {
    if (this.reason !== undefined) return;
    this.socket.write(packet);
  }

  /**
   * Sends Status-Server (RFC 5997, Message-Authenticator first) and resolves
   * true on a verified Access-Accept within `timeoutMs`, false otherwise.
   */
  statusServer(timeoutMs = 5000): Promise<boolean> {
    if (this.probe !== undefined || this.reason !== undefined) return Promise.resolve(false);
    const identifier = nodeCrypto.randomBytes(1)[0] as number;
    const authenticator = nodeCrypto.randomBytes(16);
    const packet = signAccessRequest(
      nodeCrypto,
      RadiusCode.StatusServer,
      identifier,
      authenticator,
      [],
      this.secret,
    );
    this.statusServersSent++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.probe = undefined;
        resolve(false);
      }, timeoutMs);
      this.probe = {
        identifier,
        authenticator,
        resolve: (ok) => {
          clearTimeout(timer);
          this.probe = undefined;
          resolve(ok);
        },
      };
      this.send(packet);
    });
  }

  close(reason = 'closed'): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.probe?.resolve(false);
    this.framer.fail({ code: 'length-too-short', length: 0 });
    this.socket.end();
    this.socket.destroySoon();
    this.resolveClosed(reason);
  }

  private packet(packet: Uint8Array): void {
    const probe = this.probe;
    if (probe !== undefined && packet[1] === probe.identifier) {
      const parsed = parseRadius(packet);
      if (
        parsed.ok &&
        parsed.value.code === RadiusCode.AccessAccept &&
        checkResponse(nodeCrypto, parsed.value, probe.authenticator, this.secret, false) ===
          undefined
      ) {
        this.statusServersAnswered++;
        probe.resolve(true);
        return;
      }
    }
    this.onPacket(packet);
  }

  /** Restarts the watchdog: Status-Server after `watchdogMs` of silence. */
  private arm(): void {
    if (this.watchdogMs === 0 || this.reason !== undefined) return;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      void this.statusServer(this.watchdogMs).then((ok) => {
        if (!ok && this.reason === undefined) this.close('watchdog-timeout');
        else this.arm();
      });
    }, this.watchdogMs);
    this.watchdog.unref();
  }
}
