/**
 * One supplicant's conversation of `RadiusEapolBackend` (eapol-backend.ts):
 * its Access-Requests, State, retransmission and failover, the EAP Request
 * resent to a silent supplicant, and the Accept's attributes unsalted.
 */
import {
  AuthAttributeType,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  type AuthAttribute,
} from '../eap/index.js';
import type {
  BackendCallbacks,
  BackendConversation,
  BackendOutcome,
  BackendSupplicant,
} from '../eapol/index.js';
import type { Timer } from '../runtime/index.js';
import type { RadiusServerAddress } from './client.js';
import { RadiusAttributeType } from './dictionary.js';
import { carriedEap, eapMessageAttributes } from './eap-message.js';
import type { RadiusEapolBackend } from './eapol-backend.js';
import {
  integerBytes,
  parseVendorSpecific,
  RadiusCode,
  type RadiusAttribute,
  type RadiusPacket,
} from './packet.js';
import type { RadiusEndpoint } from './server-options.js';
import { checkResponse, decryptMppeKey, signAccessRequest } from './signing.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NAS_PORT_TYPE_ETHERNET = 15;
const SERVICE_TYPE_FRAMED = 2;

export type CounterName =
  | 'requests'
  | 'retransmissions'
  | 'failovers'
  | 'accepted'
  | 'rejected'
  | 'challenged'
  | 'timeouts';

interface Outstanding {
  readonly identifier: number;
  readonly authenticator: Uint8Array;
  readonly datagram: Uint8Array;
  readonly server: number;
  sends: number;
}

/** One supplicant's conversation with the RADIUS server. @internal */
export class RadiusConversation implements BackendConversation {
  private state: Uint8Array | undefined;
  private outstanding: Outstanding | undefined;
  private radiusTimer: Timer | undefined;
  private supplicantTimer: Timer | undefined;
  private lastRequest: Uint8Array | undefined;
  private supplicantSends = 0;
  private failovers = 0;
  private done = false;

  constructor(
    private readonly backend: RadiusEapolBackend,
    private readonly supplicant: BackendSupplicant,
    readonly identityResponse: Uint8Array,
    private readonly callbacks: BackendCallbacks,
    private server: number,
  ) {}

  receive(eap: Uint8Array): void {
    if (this.done) return;
    if (this.outstanding !== undefined) {
      // The server has not answered the last one: a supplicant's duplicate, not a new Response.
      this.backend.drop('response-while-waiting');
      return;
    }
    if (this.lastRequest !== undefined && eap[1] !== this.lastRequest[1]) {
      this.backend.drop('eap-identifier-mismatch');
      return;
    }
    this.stopSupplicantTimer();
    this.request(eap.slice());
  }

  abort(_reason: string): void {
    if (this.done) return;
    this.end();
  }

  /** Sends `eap` in a fresh Access-Request to the current server. */
  request(eap: Uint8Array): void {
    const { options } = this.backend.settings;
    const identifier = this.backend.allocate(this);
    if (identifier === undefined) {
      this.finish('error', 'no free RADIUS Identifier (256 requests in flight)', []);
      return;
    }
    const attributes: RadiusAttribute[] = [
      { type: RadiusAttributeType.UserName, value: encoder.encode(this.supplicant.identity) },
      {
        type: RadiusAttributeType.NasIdentifier,
        value: encoder.encode(options.nasIdentifier ?? 'netrx'),
      },
      { type: RadiusAttributeType.ServiceType, value: integerBytes(SERVICE_TYPE_FRAMED) },
      { type: RadiusAttributeType.NasPortType, value: integerBytes(NAS_PORT_TYPE_ETHERNET) },
      { type: RadiusAttributeType.FramedMtu, value: integerBytes(options.framedMtu ?? 1400) },
      {
        type: RadiusAttributeType.CallingStationId,
        value: encoder.encode(this.supplicant.macText),
      },
      ...(options.calledStationId === undefined
        ? []
        : [
            {
              type: RadiusAttributeType.CalledStationId,
              value: encoder.encode(options.calledStationId),
            },
          ]),
      ...eapMessageAttributes(eap),
      ...(this.state === undefined ? [] : [{ type: RadiusAttributeType.State, value: this.state }]),
    ];
    const authenticator = options.crypto.randomBytes(16);
    const datagram = signAccessRequest(
      options.crypto,
      RadiusCode.AccessRequest,
      identifier,
      authenticator,
      attributes,
      this.secret(),
    );
    this.backend.count('requests');
    this.outstanding = { identifier, authenticator, datagram, server: this.server, sends: 0 };
    this.transmit();
  }

  /** A parsed datagram carrying our outstanding Identifier. */
  response(packet: RadiusPacket, from: RadiusEndpoint): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined || this.done) return this.backend.drop('nothing-outstanding');
    const server = this.address();
    if (from.port !== server.port || from.address !== server.address)
      return this.backend.drop('wrong-source');
    const { options } = this.backend.settings;
    const check = checkResponse(
      options.crypto,
      packet,
      outstanding.authenticator,
      this.secret(),
      true,
    );
    if (check !== undefined)
      return this.backend.drop(
        check === 'bad-response-authenticator' ? check : `message-authenticator-${check}`,
      );
    const carried = carriedEap(packet);
    const eap = carried.ok && carried.value.kind === 'eap' ? carried.value.bytes : undefined;
    const reply = packet.attributes.find((a) => a.type === RadiusAttributeType.ReplyMessage);
    const replyMessage = reply === undefined ? undefined : decoder.decode(reply.value);
    const lastId = this.lastRequest?.[1] ?? this.identityResponse[1] ?? 0;
    switch (packet.code) {
      case RadiusCode.AccessChallenge: {
        if (eap === undefined || eap[0] !== 1)
          return this.backend.drop('challenge-without-eap-request');
        this.settle();
        this.backend.count('challenged');
        this.state = packet.attributes
          .find((a) => a.type === RadiusAttributeType.State)
          ?.value.slice();
        this.lastRequest = eap.slice();
        this.supplicantSends = 0;
        this.sendToSupplicant();
        return;
      }
      case RadiusCode.AccessAccept: {
        this.settle();
        this.backend.count('accepted');
        this.callbacks.send(eap?.[0] === 3 ? eap : Uint8Array.of(3, lastId, 0, 4));
        this.finish(
          'success',
          replyMessage === undefined ? 'Access-Accept' : `Access-Accept: ${replyMessage}`,
          this.acceptedAttributes(packet, outstanding.authenticator),
        );
        return;
      }
      case RadiusCode.AccessReject: {
        this.settle();
        this.backend.count('rejected');
        this.callbacks.send(eap?.[0] === 4 ? eap : Uint8Array.of(4, lastId, 0, 4));
        this.finish(
          'failure',
          replyMessage === undefined ? 'Access-Reject' : `Access-Reject: ${replyMessage}`,
          [],
        );
        return;
      }
      default:
        return this.backend.drop('unexpected-code');
    }
  }

  private address(): RadiusServerAddress {
    return this.backend.settings.options.servers[this.server] as RadiusServerAddress;
  }

  private secret(): Uint8Array {
    const secret = this.address().secret;
    return typeof secret === 'string' ? encoder.encode(secret) : secret;
  }

  private transmit(): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined) return;
    if (outstanding.sends > 0) this.backend.count('retransmissions');
    outstanding.sends++;
    const { options, timeoutMs } = this.backend.settings;
    this.radiusTimer?.cancel();
    this.radiusTimer = options.clock.setTimer(timeoutMs, () => this.onRadiusTimeout());
    const server = this.address();
    options.send(outstanding.datagram, { address: server.address, port: server.port });
  }

  private onRadiusTimeout(): void {
    this.radiusTimer = undefined;
    const outstanding = this.outstanding;
    if (outstanding === undefined || this.done) return;
    const { options, retries } = this.backend.settings;
    if (outstanding.sends <= retries) return this.transmit();
    this.settle();
    // Tried every server once from this conversation's first: a timeout.
    const next = (this.server + 1) % options.servers.length;
    const triedAll = this.failovers + 1 >= options.servers.length;
    if (triedAll) {
      this.backend.count('timeouts');
      this.finish(
        'timeout',
        `no answer from ${options.servers.map((s) => `${s.address}:${s.port}`).join(', ')}`,
        [],
      );
      return;
    }
    this.failovers++;
    this.server = next;
    this.backend.failedOver(next);
    // State belongs to the server that gave it: start over with the Response/Identity.
    this.state = undefined;
    this.lastRequest = undefined;
    this.stopSupplicantTimer();
    this.request(this.identityResponse);
  }

  private sendToSupplicant(): void {
    const request = this.lastRequest;
    if (request === undefined) return;
    const { options, supplicantTimeoutMs } = this.backend.settings;
    this.supplicantTimer?.cancel();
    this.supplicantTimer = options.clock.setTimer(
      supplicantTimeoutMs * 2 ** Math.min(this.supplicantSends, 6),
      () => this.onSupplicantTimeout(),
    );
    this.supplicantSends++;
    this.callbacks.send(request);
  }

  private onSupplicantTimeout(): void {
    this.supplicantTimer = undefined;
    if (this.done) return;
    if (this.supplicantSends <= this.backend.settings.supplicantRetries)
      return this.sendToSupplicant();
    this.backend.count('timeouts');
    this.finish('timeout', 'the supplicant stopped answering', []);
  }

  /** The outstanding request is answered (or abandoned): free its Identifier and timer. */
  private settle(): void {
    const outstanding = this.outstanding;
    if (outstanding !== undefined) this.backend.release(outstanding.identifier, this);
    this.outstanding = undefined;
    this.radiusTimer?.cancel();
    this.radiusTimer = undefined;
  }

  private stopSupplicantTimer(): void {
    this.supplicantTimer?.cancel();
    this.supplicantTimer = undefined;
  }

  private end(): void {
    this.done = true;
    this.settle();
    this.stopSupplicantTimer();
    this.state = undefined;
    this.lastRequest = undefined;
    this.backend.ended(this);
  }

  private finish(
    outcome: BackendOutcome,
    reason: string,
    attributes: readonly AuthAttribute[],
  ): void {
    if (this.done) return;
    this.end();
    this.callbacks.finished({ outcome, reason, attributes });
  }

  /** The Accept's MS-MPPE keys unsalted (as netrx/eap attributes hold them) and its Session-Timeout. */
  private acceptedAttributes(
    packet: RadiusPacket,
    requestAuthenticator: Uint8Array,
  ): AuthAttribute[] {
    const { options } = this.backend.settings;
    const out: AuthAttribute[] = [];
    for (const attribute of packet.attributes) {
      if (attribute.type === RadiusAttributeType.SessionTimeout && attribute.value.length === 4) {
        out.push({ type: AuthAttributeType.SessionTimeout, value: attribute.value.slice() });
        continue;
      }
      if (attribute.type === RadiusAttributeType.Class) {
        out.push({ type: RadiusAttributeType.Class, value: attribute.value.slice() });
        continue;
      }
      if (attribute.type !== RadiusAttributeType.VendorSpecific) continue;
      const vendor = parseVendorSpecific(attribute.value);
      if (vendor?.vendorId !== MICROSOFT_VENDOR_ID) continue;
      for (const sub of vendor.subAttributes) {
        if (
          sub.type !== MicrosoftAttributeType.MsMppeSendKey &&
          sub.type !== MicrosoftAttributeType.MsMppeRecvKey
        )
          continue;
        const key = decryptMppeKey(options.crypto, sub.value, this.secret(), requestAuthenticator);
        if (key === undefined) {
          this.backend.drop('malformed-mppe-key');
          continue;
        }
        out.push({
          type: AuthAttributeType.VendorSpecific,
          vendorId: MICROSOFT_VENDOR_ID,
          vendorType: sub.type,
          value: key,
        });
      }
    }
    return out;
  }
}
