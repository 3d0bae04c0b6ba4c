/**
 * PEAPv0 (EAP type 25; draft-kamath-pppext-peapv0-00, [MS-PEAP]) with an
 * inner EAP method, normally EAP-MSCHAPv2, on the EAP-TLS framing and state
 * machines (`tls-authenticator.ts`, `tls-peer.ts`): Start with S and version
 * 0, the TLS handshake (no client certificate), then phase 2 inside the
 * tunnel. The authenticator asks for the inner Identity, begins the inner
 * method with that identity (the one the provider checks: the outer identity
 * may be anonymous), relays the inner method's Requests and the peer's
 * Responses header-compressed, carries its `authenticate` to the provider,
 * and ends phase 2 with a Result TLV (Extensions, type 33: success or
 * failure) in place of the inner EAP-Success/Failure; the peer's Result TLV
 * answer ends the method: Success with the keys, or Failure.
 *
 * Keys (PEAPv0, TLS 1.2, as wpa_supplicant's `peaplabel=0`, hostapd and
 * FreeRADIUS): Key_Material = PRF(master, "client EAP encryption",
 * client.random ‖ server.random), MSK = its first 64 bytes, the MS-MPPE keys
 * from the MSK exactly as EAP-TLS's (the inner method's keys are not used);
 * no Crypto-Binding TLV (MS-PEAP's optional one: neither hostapd nor
 * FreeRADIUS send it, wpa_supplicant does not require it by default).
 * Session-Id = 25 ‖ client.random ‖ server.random.
 */
import { EapCode, EapType, type EapMessage } from '../../wire/eap.js';
import {
  EapAction,
  RasEapFlag,
  isMethodError,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
} from '../contract.js';
import {
  decodePeapInner,
  encodePeapInner,
  parseResultTlv,
  PeapResultStatus,
  resultTlvPacket,
} from './peap-format.js';
import type {
  TlsMethodOptions,
  TlsMethodProfile,
  TunnelAuthenticator,
  TunnelPeer,
  TunnelSession,
  TunnelStep,
} from './tls-common.js';
import { createTlsBasedMethod, type TlsMethodState } from './tls.js';

export interface PeapMethodOptions extends TlsMethodOptions {
  /** The inner method (EAP-MSCHAPv2: `createMschapV2Method`); must run on the side(s) used. */
  readonly inner: EapMethod;
  /**
   * Peer: the identity sent inside the tunnel (the user); default the EAP
   * identity. Give the peer an anonymous outer identity and the real one here.
   */
  readonly innerIdentity?: string;
  /** Largest inner packet the inner method may build; default 1020 (the EAP MTU). */
  readonly innerSendCapacity?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const DEFAULT_INNER_CAPACITY = 1020;

/** @internal The inner method's answer, unless it is one phase 2 cannot carry (PEAP and TTLS). */
export type InnerAnswer =
  | { readonly kind: 'send'; readonly packet: EapMessage }
  | { readonly kind: 'authenticate'; readonly step: TunnelStep }
  | { readonly kind: 'done'; readonly success: boolean; readonly reason: string }
  | { readonly kind: 'failure'; readonly reason: string };

export function innerAnswer(result: EapMakeMessageResult, inner: string): InnerAnswer {
  if (isMethodError(result)) {
    return {
      kind: 'failure',
      reason: `inner ${inner}: ${result.reason ?? `error ${result.error}`}`,
    };
  }
  switch (result.action) {
    case EapAction.Send:
    case EapAction.SendWithTimeout:
    case EapAction.SendWithTimeoutInteractive: {
      const packet = result.packet;
      if (
        packet === undefined ||
        (packet.code !== EapCode.Request && packet.code !== EapCode.Response)
      ) {
        return { kind: 'failure', reason: `inner ${inner} sent no Request or Response` };
      }
      return { kind: 'send', packet };
    }
    case EapAction.Authenticate:
      return {
        kind: 'authenticate',
        step: { kind: 'authenticate', attributes: result.userAttributes ?? [] },
      };
    case EapAction.SendAndDone:
    case EapAction.Done: {
      const code = result.authResultCode ?? 0;
      return {
        kind: 'done',
        success: code === 0,
        reason:
          result.reason ??
          (code === 0 ? `inner ${inner} succeeded` : `inner ${inner} failed with ${code}`),
      };
    }
    default:
      return {
        kind: 'failure',
        reason:
          result.invokeInteractiveUi !== undefined
            ? `inner ${inner} asked for the interactive UI (not available inside PEAP)`
            : result.pendingWork !== undefined
              ? `inner ${inner} returned pending work (not supported inside PEAP)`
              : `inner ${inner} answered ${result.action}`,
      };
  }
}

/** Phase 2 on the authenticator: inner Identity, the inner method, the Result TLV. */
class PeapAuthenticatorTunnel implements TunnelAuthenticator {
  private phase: 'identity' | 'inner' | 'result' | 'done' = 'identity';
  /** The Identifier of the last inner Request (compressed Responses get it). */
  private identifier: number;
  private workState: unknown;
  private begun = false;
  /** The Result TLV sent: success or failure. */
  private resultSent = false;
  private innerReason = '';
  /** The inner Identity the peer gave (the one the provider checks). */
  private innerIdentity = '';

  constructor(
    private readonly options: PeapMethodOptions,
    private readonly input: EapInput,
  ) {
    this.identifier = ((input.initialId ?? 0) + 1) & 0xff;
  }

  start(): TunnelStep {
    return this.send({
      code: EapCode.Request,
      identifier: this.identifier,
      type: EapType.Identity,
      typeData: new Uint8Array(0),
    });
  }

  receive(data: Uint8Array): TunnelStep {
    const decoded = decodePeapInner(data, 'response', this.identifier);
    if (!decoded.ok) return this.fail(`PEAP phase 2: ${decoded.reason}`);
    const packet = decoded.packet;
    if (packet.identifier !== this.identifier) {
      return this.fail(
        `PEAP phase 2: inner Identifier ${packet.identifier}, expected ${this.identifier}`,
      );
    }
    switch (this.phase) {
      case 'identity': {
        if (packet.type !== EapType.Identity) {
          return this.fail(`PEAP phase 2: expected the inner Identity, got type ${packet.type}`);
        }
        const identity = decoder.decode(packet.typeData);
        this.innerIdentity = identity;
        const inner = this.options.inner;
        try {
          this.workState = inner.begin({
            authenticator: true,
            identity,
            initialId: (this.identifier + 1) & 0xff,
            flags: (this.input.flags ?? 0) | RasEapFlag.HostedInPeap,
          });
        } catch (error) {
          return this.fail(`inner ${inner.info.name} begin: ${(error as Error).message}`);
        }
        this.begun = true;
        this.phase = 'inner';
        return this.relay(null, undefined);
      }
      case 'inner':
        return this.relay(packet, undefined);
      case 'result': {
        if (packet.type !== EapType.PeapExtensions) {
          return this.fail(`PEAP phase 2: expected the Result TLV, got type ${packet.type}`);
        }
        const result = parseResultTlv(packet.typeData);
        if (!result.ok) return this.fail(`PEAP Result TLV: ${result.reason}`);
        this.phase = 'done';
        if (this.resultSent && result.status === PeapResultStatus.Success) {
          return {
            kind: 'success',
            reason: `PEAP: ${this.innerReason}`,
            identity: this.innerIdentity,
          };
        }
        return {
          kind: 'failure',
          reason: this.resultSent
            ? `PEAP: the peer answered the success Result TLV with status ${result.status}`
            : `PEAP: ${this.innerReason}`,
        };
      }
      case 'done':
        return this.fail('PEAP phase 2 already finished');
    }
  }

  completed(input: EapInput): TunnelStep {
    if (this.phase !== 'inner')
      return this.fail('PEAP: a provider answer outside the inner method');
    return this.relay(null, input);
  }

  end(): void {
    if (!this.begun) return;
    this.begun = false;
    try {
      this.options.inner.end(this.workState);
    } catch {
      // The session ends either way.
    }
  }

  private relay(packet: EapMessage | null, input: EapInput | undefined): TunnelStep {
    const inner = this.options.inner;
    let result: EapMakeMessageResult;
    try {
      result = inner.makeMessage(
        this.workState,
        packet,
        this.options.innerSendCapacity ?? DEFAULT_INNER_CAPACITY,
        input,
      );
    } catch (error) {
      return this.fail(`inner ${inner.info.name} threw: ${(error as Error).message}`);
    }
    const answer = innerAnswer(result, inner.info.name);
    switch (answer.kind) {
      case 'send':
        if (answer.packet.code !== EapCode.Request) {
          return this.fail(`inner ${inner.info.name} sent a Response on the authenticator side`);
        }
        return this.send(answer.packet);
      case 'authenticate':
        return answer.step;
      case 'failure':
        return this.fail(answer.reason);
      case 'done':
        // The inner EAP-Success/Failure is not sent: the Result TLV says it (PEAPv0).
        this.phase = 'result';
        this.resultSent = answer.success;
        this.innerReason = answer.reason;
        this.identifier = (this.identifier + 1) & 0xff;
        return {
          kind: 'write',
          data: encodePeapInner(resultTlvPacket(EapCode.Request, this.identifier, answer.success)),
        };
    }
  }

  private send(packet: EapMessage): TunnelStep {
    this.identifier = packet.identifier;
    return { kind: 'write', data: encodePeapInner(packet) };
  }

  private fail(reason: string): TunnelStep {
    this.phase = 'done';
    return { kind: 'failure', reason };
  }
}

/** Phase 2 on the peer: answers the inner Identity, runs the inner method, answers the Result TLV. */
class PeapPeerTunnel implements TunnelPeer {
  private workState: unknown;
  private begun = false;
  private innerDone: boolean | undefined;
  succeeded = false;
  phase2Skipped = false;

  constructor(
    private readonly options: PeapMethodOptions,
    private readonly input: EapInput,
    private readonly session: TunnelSession,
  ) {}

  private get identity(): string {
    return this.options.innerIdentity ?? this.input.identity ?? '';
  }

  receive(data: Uint8Array, identifier: number): TunnelStep {
    const decoded = decodePeapInner(data, 'request', identifier);
    if (!decoded.ok) return { kind: 'failure', reason: `PEAP phase 2: ${decoded.reason}` };
    const packet = decoded.packet;
    const inner = this.options.inner;
    if (packet.type === EapType.Identity) {
      return this.respond(packet.identifier, EapType.Identity, encoder.encode(this.identity));
    }
    if (packet.type === EapType.PeapExtensions) {
      const result = parseResultTlv(packet.typeData);
      if (!result.ok) return { kind: 'failure', reason: `PEAP Result TLV: ${result.reason}` };
      if (
        result.status === PeapResultStatus.Success &&
        this.begun &&
        this.innerDone === undefined
      ) {
        // The Result TLV stands for the inner EAP-Success: the inner method decides whether it
        // may accept one (MSCHAPv2: only after it checked the server's S=).
        this.innerDone = this.innerFinish({ code: EapCode.Success, identifier: packet.identifier });
      } else if (
        result.status === PeapResultStatus.Success &&
        !this.begun &&
        this.innerDone === undefined &&
        this.session.resumedAfterPhase2
      ) {
        // A resumed session whose earlier phase 2 succeeded: the server may skip phase 2 and
        // send the Result TLV at once (hostapd; wpa_supplicant accepts it). Anywhere else a
        // success with no inner method run stays refused.
        this.innerDone = true;
        this.phase2Skipped = true;
      }
      const success = result.status === PeapResultStatus.Success && this.innerDone === true;
      this.succeeded = success;
      return {
        kind: 'write',
        data: encodePeapInner(resultTlvPacket(EapCode.Response, packet.identifier, success)),
      };
    }
    if (packet.type !== inner.info.type) {
      // A legacy Nak naming the inner method, header-compressed like any Response.
      return this.respond(packet.identifier, EapType.Nak, Uint8Array.of(inner.info.type));
    }
    if (!this.begun) {
      try {
        this.workState = inner.begin({
          authenticator: false,
          identity: this.identity,
          ...(this.input.password === undefined ? {} : { password: this.input.password }),
          flags: (this.input.flags ?? 0) | RasEapFlag.HostedInPeap | RasEapFlag.NonInteractive,
        });
      } catch (error) {
        return {
          kind: 'failure',
          reason: `inner ${inner.info.name} begin: ${(error as Error).message}`,
        };
      }
      this.begun = true;
    }
    let result: EapMakeMessageResult;
    try {
      result = inner.makeMessage(
        this.workState,
        packet,
        this.options.innerSendCapacity ?? DEFAULT_INNER_CAPACITY,
      );
    } catch (error) {
      return {
        kind: 'failure',
        reason: `inner ${inner.info.name} threw: ${(error as Error).message}`,
      };
    }
    const answer = innerAnswer(result, inner.info.name);
    if (answer.kind === 'send' && answer.packet.code === EapCode.Response) {
      return { kind: 'write', data: encodePeapInner(answer.packet) };
    }
    if (answer.kind === 'done') {
      this.innerDone = answer.success;
      return { kind: 'failure', reason: answer.reason };
    }
    return {
      kind: 'failure',
      reason:
        answer.kind === 'failure'
          ? answer.reason
          : `inner ${inner.info.name} answered ${answer.kind}`,
    };
  }

  end(): void {
    if (!this.begun) return;
    this.begun = false;
    try {
      this.options.inner.end(this.workState);
    } catch {
      // The session ends either way.
    }
  }

  private innerFinish(packet: { code: typeof EapCode.Success; identifier: number }): boolean {
    try {
      const result = this.options.inner.makeMessage(
        this.workState,
        packet,
        this.options.innerSendCapacity ?? DEFAULT_INNER_CAPACITY,
      );
      const answer = innerAnswer(result, this.options.inner.info.name);
      return answer.kind === 'done' && answer.success;
    } catch {
      return false;
    }
  }

  private respond(identifier: number, type: number, typeData: Uint8Array): TunnelStep {
    return {
      kind: 'write',
      data: encodePeapInner({ code: EapCode.Response, identifier, type, typeData }),
    };
  }
}

/** The PEAPv0 profile on the common TLS framing. */
export function peapProfile(options: PeapMethodOptions): TlsMethodProfile {
  return {
    type: EapType.Peap,
    name: 'PEAP',
    version: 0,
    tunnel: {
      authenticator: (input) => new PeapAuthenticatorTunnel(options, input),
      peer: (input, session) => new PeapPeerTunnel(options, input, session),
    },
  };
}

/**
 * PEAPv0 with `options.inner` inside. The TLS engine factory is the same as
 * EAP-TLS's, configured without a client certificate
 * (`requireClientCertificate: false` on the server; no `cert`/`key` on the
 * peer). The authenticator needs the authentication provider for the inner
 * method's `authenticate` (it gets the inner identity as User-Name).
 */
export function createPeapMethod(options: PeapMethodOptions): EapMethod<TlsMethodState> {
  return createTlsBasedMethod(options, peapProfile(options), 0);
}
