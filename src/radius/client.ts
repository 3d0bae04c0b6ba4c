/**
 * A RADIUS client that drives the netrx EAP peer against any RADIUS server
 * (the NAS side of RFC 3579), sans-I/O. The peer's Responses go out in
 * Access-Requests (User-Name, EAP-Message fragments, the server's State,
 * Message-Authenticator first); Access-Challenge brings the next Request,
 * Access-Accept the Success and the salted MS-MPPE keys (decrypted and
 * compared with the peer's own), Access-Reject the Failure.
 *
 * Only verified responses count: from the server asked, with the request's
 * Identifier, a good Response Authenticator and a good Message-Authenticator
 * (required: BlastRADIUS). A request without an answer is resent unchanged
 * (same Identifier and Authenticator, RFC 5080 §2.2.1) after `timeoutMs`,
 * `retries` times; then the next server is tried from the start of the
 * conversation (State belongs to one server), and when every server has
 * been tried the result is a timeout.
 */
import {
  EapPeer,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  findAttribute,
  type EapMethod,
  type EapSessionResult,
} from '../eap/index.js';
import { equalBytes } from '../bytes/index.js';
import type { Clock, Crypto, Timer } from '../runtime/index.js';
import { positiveInteger } from '../runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import { carriedEap, eapMessageAttributes } from './eap-message.js';
import {
  integerBytes,
  parseRadius,
  parseVendorSpecific,
  RadiusCode,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';
import type { RadiusEndpoint } from './server-options.js';
import { checkResponse, decryptMppeKey, signAccessRequest } from './signing.js';

export interface RadiusServerAddress extends RadiusEndpoint {
  readonly secret: string | Uint8Array;
}

export interface RadiusEapClientOptions {
  readonly clock: Clock;
  readonly crypto: Crypto;
  /** Tried in order; the next one when a server does not answer. */
  readonly servers: readonly RadiusServerAddress[];
  readonly send: (datagram: Uint8Array, to: RadiusEndpoint) => void;
  /** Peer-capable EAP methods, most preferred first. */
  readonly methods: readonly EapMethod[];
  readonly identity: string;
  readonly password?: string;
  /** Wait for a response this long before resending; default 2000 ms. */
  readonly timeoutMs?: number;
  /** Resends per server before the next; default 2. */
  readonly retries?: number;
  /** NAS-Identifier; default "netrx". */
  readonly nasIdentifier?: string;
  readonly callingStationId?: string;
  readonly onResult: (result: RadiusEapResult) => void;
}

/** The MS-MPPE keys of an Access-Accept, decrypted (server's view: Recv is what it receives). */
export interface AcceptedKeys {
  readonly sendKey: Uint8Array | undefined;
  readonly recvKey: Uint8Array | undefined;
}

export interface RadiusEapResult {
  readonly outcome: 'success' | 'failure' | 'timeout' | 'error';
  readonly reason: string;
  /** The server that answered last. */
  readonly server: RadiusEndpoint | undefined;
  /** The EAP peer's own result. */
  readonly eap: EapSessionResult | undefined;
  readonly keys: AcceptedKeys | undefined;
  /** Whether the server's keys are the peer's (its Recv-Key the peer's Send-Key and back); undefined without keys. */
  readonly keysMatch: boolean | undefined;
  /**
   * Whether the Access-Accept's EAP-Key-Name (102, RFC 4072 §6.2: the EAP
   * Session-Id) equals the peer's own; undefined when either side has none.
   * For the TLS methods this checks the Session-Id derivation (RFC 5216,
   * RFC 9190, RFC 9427: Type ‖ Method-Id under TLS 1.3).
   */
  readonly keyNameMatch?: boolean | undefined;
  readonly replyMessage: string | undefined;
  /** Access-Requests sent, retransmissions not counted. */
  readonly requests: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class RadiusEapClient {
  private readonly options: RadiusEapClientOptions;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private serverIndex = 0;
  private peer: EapPeer | undefined;
  private state: Uint8Array | undefined;
  private outstanding:
    | { identifier: number; authenticator: Uint8Array; datagram: Uint8Array; sends: number }
    | undefined;
  private timer: Timer | undefined;
  /** Inside `receive`: a result the peer reaches there is handled by the packet's own branch. */
  private receiving = false;
  /** The Access-Accept's EAP-Key-Name, if it carried one. */
  private serverKeyName: Uint8Array | undefined;
  private nextIdentifier: number;
  private finished: RadiusEapResult | undefined;
  private requests = 0;
  private readonly secrets: (Uint8Array | undefined)[] = [];
  readonly dropped = new Map<string, number>();

  constructor(options: RadiusEapClientOptions) {
    if (options.servers.length === 0)
      throw new TypeError('RadiusEapClient needs at least one server');
    this.options = options;
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 2000);
    this.retries = options.retries ?? 2;
    if (!Number.isInteger(this.retries) || this.retries < 0)
      throw new RangeError('retries must be >= 0');
    this.nextIdentifier = options.crypto.randomBytes(1)[0] as number;
  }

  get result(): RadiusEapResult | undefined {
    return this.finished;
  }

  /** Starts the conversation with the first server. */
  start(): void {
    if (this.peer !== undefined) throw new TypeError('RadiusEapClient.start: already started');
    this.begin();
  }

  /** One datagram from the network. Never throws on bad bytes: they are dropped and counted. */
  receive(datagram: Uint8Array, from: RadiusEndpoint): void {
    this.receiving = true;
    try {
      this.handle(datagram, from);
    } finally {
      this.receiving = false;
    }
  }

  private handle(datagram: Uint8Array, from: RadiusEndpoint): void {
    if (this.finished !== undefined) return this.drop('finished');
    const outstanding = this.outstanding;
    const server = this.server();
    if (outstanding === undefined) return this.drop('nothing-outstanding');
    if (from.port !== server.port || from.address !== server.address)
      return this.drop('wrong-source');
    const parsed = parseRadius(datagram);
    if (!parsed.ok) return this.drop(`malformed:${parsed.failure.code}`);
    const packet = parsed.value;
    if (packet.identifier !== outstanding.identifier) return this.drop('wrong-identifier');
    const check = checkResponse(
      this.options.crypto,
      packet,
      outstanding.authenticator,
      this.secret(),
      true,
    );
    if (check !== undefined)
      return this.drop(
        check === 'bad-response-authenticator' ? check : `message-authenticator-${check}`,
      );
    this.outstanding = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    const carried = carriedEap(packet);
    const eap = carried.ok && carried.value.kind === 'eap' ? carried.value.bytes : undefined;
    const replyBytes = packet.attributes.find(
      (a) => a.type === RadiusAttributeType.ReplyMessage,
    )?.value;
    const replyMessage = replyBytes === undefined ? undefined : decoder.decode(replyBytes);
    const peer = this.peer as EapPeer;
    switch (packet.code) {
      case RadiusCode.AccessChallenge: {
        const state = packet.attributes.find((a) => a.type === RadiusAttributeType.State)?.value;
        this.state = state?.slice();
        if (eap === undefined)
          return this.finish(
            'error',
            'Access-Challenge without EAP-Message',
            undefined,
            replyMessage,
          );
        const before = this.requests;
        peer.receive(eap);
        if (
          this.finished === undefined &&
          this.requests === before &&
          peer.result === undefined &&
          !peer.busy // a TLS method answers a few event-loop turns later
        ) {
          this.finish(
            'error',
            `the peer did not answer the server's EAP packet (${Object.keys(peer.stats().dropped).join(', ')})`,
            undefined,
            replyMessage,
          );
        } else if (this.finished === undefined && peer.result !== undefined) {
          this.finishFromPeer(undefined, replyMessage);
        }
        return;
      }
      case RadiusCode.AccessAccept: {
        if (eap !== undefined) peer.receive(eap);
        const keys = this.keys(packet, outstanding.authenticator);
        this.serverKeyName = packet.attributes.find(
          (a) => a.type === RadiusAttributeType.EapKeyName,
        )?.value;
        if (peer.result === undefined) {
          return this.finish(
            'failure',
            'Access-Accept, but the EAP peer did not accept the server',
            keys,
            replyMessage,
          );
        }
        return this.finishFromPeer(keys, replyMessage);
      }
      case RadiusCode.AccessReject:
        if (eap !== undefined) peer.receive(eap);
        return this.finish(
          'failure',
          `Access-Reject${replyMessage === undefined ? '' : `: ${replyMessage}`}${peer.result === undefined ? '' : ` (${peer.result.reason})`}`,
          undefined,
          replyMessage,
        );
      default:
        this.outstanding = outstanding;
        this.armTimer();
        return this.drop('unexpected-code');
    }
  }

  /** Ends without a result from the network (the caller gave up). */
  abort(reason = 'aborted'): void {
    this.finish('error', reason, undefined, undefined);
  }

  private server(): RadiusServerAddress {
    return this.options.servers[this.serverIndex] as RadiusServerAddress;
  }

  /** The current server's secret as bytes, encoded once per server (a stable key for HMAC pad caching). */
  private secret(): Uint8Array {
    const known = this.secrets[this.serverIndex];
    if (known !== undefined) return known;
    const secret = this.server().secret;
    const bytes = typeof secret === 'string' ? encoder.encode(secret) : secret;
    this.secrets[this.serverIndex] = bytes;
    return bytes;
  }

  /** A fresh EAP peer and conversation against the current server. */
  private begin(): void {
    // Forget the old peer first: its abort must not end the new conversation.
    const old = this.peer;
    this.peer = undefined;
    old?.abort('failover');
    this.state = undefined;
    this.outstanding = undefined;
    const peer = new EapPeer({
      methods: this.options.methods,
      identity: this.options.identity,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      flags: 0x2, // RasEapFlag.NonInteractive: nobody is there to type a password
      send: (eap) => this.request(eap),
      onResult: () => this.peerEnded(peer),
    });
    this.peer = peer;
    // The NAS's own Request/Identity (RFC 3579 §2.1): the peer answers, and that Response opens the dialogue.
    const id = this.options.crypto.randomBytes(1)[0] as number;
    peer.receive(Uint8Array.of(1, id, 0, 5, 1));
  }

  /**
   * The peer ended on its own, outside `receive`: a method whose pending work
   * (a TLS engine's turns) finished in failure without a last packet. Nothing
   * is outstanding then and no timer runs, so nothing else would end the
   * conversation. With a last packet out, the server's answer (or the
   * timeout) ends it as usual.
   */
  private peerEnded(peer: EapPeer): void {
    if (this.receiving || peer !== this.peer || this.outstanding !== undefined) return;
    this.finishFromPeer(undefined, undefined);
  }

  private request(eap: Uint8Array): void {
    if (this.finished !== undefined) return;
    const attributes: RadiusAttribute[] = [
      { type: RadiusAttributeType.UserName, value: encoder.encode(this.options.identity) },
      {
        type: RadiusAttributeType.NasIdentifier,
        value: encoder.encode(this.options.nasIdentifier ?? 'netrx'),
      },
      { type: RadiusAttributeType.ServiceType, value: integerBytes(2) }, // Framed-User
      { type: RadiusAttributeType.FramedMtu, value: integerBytes(1400) },
      ...(this.options.callingStationId === undefined
        ? []
        : [
            {
              type: RadiusAttributeType.CallingStationId,
              value: encoder.encode(this.options.callingStationId),
            },
          ]),
      ...eapMessageAttributes(eap),
      ...(this.state === undefined ? [] : [{ type: RadiusAttributeType.State, value: this.state }]),
    ];
    const identifier = this.nextIdentifier;
    this.nextIdentifier = (this.nextIdentifier + 1) & 0xff;
    const authenticator = this.options.crypto.randomBytes(16);
    const datagram = signAccessRequest(
      this.options.crypto,
      RadiusCode.AccessRequest,
      identifier,
      authenticator,
      attributes,
      this.secret(),
    );
    this.requests++;
    this.outstanding = { identifier, authenticator, datagram, sends: 0 };
    this.transmit();
  }

  private transmit(): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined) return;
    outstanding.sends++;
    this.armTimer();
    const server = this.server();
    this.options.send(outstanding.datagram, { address: server.address, port: server.port });
  }

  private armTimer(): void {
    this.timer?.cancel();
    this.timer = this.options.clock.setTimer(this.timeoutMs, () => this.onTimeout());
  }

  private onTimeout(): void {
    this.timer = undefined;
    const outstanding = this.outstanding;
    if (outstanding === undefined || this.finished !== undefined) return;
    if (outstanding.sends <= this.retries) {
      this.transmit();
      return;
    }
    if (this.serverIndex + 1 < this.options.servers.length) {
      this.serverIndex++;
      this.begin();
      return;
    }
    this.finish(
      'timeout',
      `no answer from ${this.options.servers.map((s) => `${s.address}:${s.port}`).join(', ')}`,
      undefined,
      undefined,
    );
  }

  private keys(packet: RadiusPacket, requestAuthenticator: Uint8Array): AcceptedKeys | undefined {
    let sendKey: Uint8Array | undefined;
    let recvKey: Uint8Array | undefined;
    for (const attribute of packet.attributes) {
      if (attribute.type !== RadiusAttributeType.VendorSpecific) continue;
      const vendor = parseVendorSpecific(attribute.value);
      if (vendor?.vendorId !== MICROSOFT_VENDOR_ID) continue;
      for (const sub of vendor.subAttributes) {
        const key =
          sub.type === MicrosoftAttributeType.MsMppeSendKey ||
          sub.type === MicrosoftAttributeType.MsMppeRecvKey
            ? decryptMppeKey(this.options.crypto, sub.value, this.secret(), requestAuthenticator)
            : undefined;
        if (sub.type === MicrosoftAttributeType.MsMppeSendKey) sendKey = key;
        if (sub.type === MicrosoftAttributeType.MsMppeRecvKey) recvKey = key;
      }
    }
    return sendKey === undefined && recvKey === undefined ? undefined : { sendKey, recvKey };
  }

  private finishFromPeer(keys: AcceptedKeys | undefined, replyMessage: string | undefined): void {
    const eap = this.peer?.result;
    if (eap?.outcome === 'success') this.finish('success', 'EAP success', keys, replyMessage);
    else this.finish('failure', eap?.reason ?? 'EAP failure', keys, replyMessage);
  }

  private finish(
    outcome: RadiusEapResult['outcome'],
    reason: string,
    keys: AcceptedKeys | undefined,
    replyMessage: string | undefined,
  ): void {
    if (this.finished !== undefined) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.outstanding = undefined;
    const eap = this.peer?.result;
    const mine = (vendorType: number) =>
      findAttribute(eap?.attributes, RadiusAttributeType.VendorSpecific, {
        vendorId: MICROSOFT_VENDOR_ID,
        vendorType,
      })?.value;
    const peerSend = mine(MicrosoftAttributeType.MsMppeSendKey);
    const peerRecv = mine(MicrosoftAttributeType.MsMppeRecvKey);
    const keysMatch =
      keys === undefined || peerSend === undefined || peerRecv === undefined
        ? undefined
        : keyMatches(keys.recvKey, peerSend) && keyMatches(keys.sendKey, peerRecv);
    const peerKeyName = findAttribute(eap?.attributes, RadiusAttributeType.EapKeyName)?.value;
    const keyNameMatch =
      this.serverKeyName === undefined || peerKeyName === undefined
        ? undefined
        : equalBytes(this.serverKeyName, peerKeyName);
    const server = this.server();
    this.finished = {
      outcome,
      reason,
      server: { address: server.address, port: server.port },
      eap,
      keys,
      keysMatch,
      keyNameMatch,
      replyMessage,
      requests: this.requests,
    };
    this.options.onResult(this.finished);
  }

  private drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }
}

/** A server key matches the peer's when it is the same, or (32-byte key vs a 16-byte one) starts with it. */
function keyMatches(server: Uint8Array | undefined, peer: Uint8Array): boolean {
  if (server === undefined) return false;
  const n = Math.min(server.length, peer.length);
  return n > 0 && equalBytes(server.subarray(0, n), peer.subarray(0, n));
}
