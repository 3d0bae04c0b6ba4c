/**
 * EAP-TTLS version 0 (type 21, RFC 5281) with PAP inside, on the EAP-TLS
 * framing and state machines: Start with S and version 0, the TLS handshake
 * (no client certificate), then the peer speaks first in the tunnel: its
 * answer to the server's Finished carries the Diameter AVPs User-Name (1)
 * and User-Password (2, null-padded to a multiple of 16 octets). The
 * authenticator hands them to the provider as PAP (User-Name and
 * User-Password: the inner identity decides; the outer may be anonymous)
 * and ends with Success and the keys, or Failure.
 *
 * Keys (TLS 1.2): Key_Material = PRF(master, "ttls keying material",
 * client.random ‖ server.random), 128 bytes; MSK = [0..63], EMSK =
 * [64..127]; MS-MPPE keys from the MSK as EAP-TLS's; Session-Id = 21 ‖
 * client.random ‖ server.random. TLS 1.3 (RFC 9427 §2.1): the EAP-TLS exporter
 * with context 21 (interop-tested with eapol_test 2.10).
 */
import {
  EapCode,
  EapType,
  encodeEap,
  isEapMessage,
  parseEap,
  type EapMessage,
} from '../../wire/eap.js';
import { AuthAttributeType, userNameAttribute } from '../attributes.js';
import {
  EapMethodFlag,
  RasEapFlag,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
} from '../contract.js';
import { innerAnswer } from './peap.js';
import type {
  TlsMethodOptions,
  TlsMethodProfile,
  TunnelAuthenticator,
  TunnelPeer,
  TunnelStep,
} from './tls-common.js';
import { createTlsBasedMethod, type TlsMethodState } from './tls.js';
import { TtlsAvpCode, TtlsAvpFlag, encodeTtlsAvps, parseTtlsAvps } from './ttls-avp.js';

export const TTLS_KEY_LABEL = 'ttls keying material';

export interface TtlsMethodOptions extends TlsMethodOptions {
  /** Peer: the User-Name sent inside the tunnel; default the EAP identity (give an anonymous one outside). */
  readonly innerIdentity?: string;
  /**
   * An inner EAP method (EAP-MSCHAPv2: `createMschapV2Method`) carried in
   * EAP-Message AVPs (RFC 5281 §11.2.4) instead of PAP.
   */
  readonly inner?: EapMethod;
}

/** RFC 5281 §11.2.4: EAP packets travel in EAP-Message AVPs (RADIUS attribute 79). */
const EAP_MESSAGE_AVP = 79;
const INNER_CAPACITY = 1020;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Largest User-Password accepted (RFC 2865's 128 octets, as the RADIUS attribute). */
const MAX_PASSWORD = 128;

class TtlsPapAuthenticator implements TunnelAuthenticator {
  private state: 'waiting' | 'authenticating' | 'done' = 'waiting';
  private identity = '';

  start(): TunnelStep {
    this.state = 'done';
    return {
      kind: 'failure',
      reason: 'TTLS: the peer acknowledged the handshake but sent no AVPs',
    };
  }

  receive(data: Uint8Array): TunnelStep {
    if (this.state !== 'waiting') return this.fail('TTLS: tunnel data after the AVPs');
    const parsed = parseTtlsAvps(data);
    if (!parsed.ok) return this.fail(`TTLS AVPs: ${parsed.reason}`);
    let name: Uint8Array | undefined;
    let password: Uint8Array | undefined;
    for (const avp of parsed.avps) {
      if (avp.vendorId === undefined && avp.code === TtlsAvpCode.UserName) name = avp.data;
      else if (avp.vendorId === undefined && avp.code === TtlsAvpCode.UserPassword)
        password = avp.data;
      else if ((avp.flags & TtlsAvpFlag.Mandatory) !== 0) {
        return this.fail(
          `TTLS: unsupported mandatory AVP ${avp.code}${avp.vendorId === undefined ? '' : ` (vendor ${avp.vendorId})`}`,
        );
      }
    }
    if (name === undefined) return this.fail('TTLS: no User-Name AVP');
    if (password === undefined) return this.fail('TTLS: no User-Password AVP (only PAP is served)');
    // RFC 5281 §11.2.5: the password is null-padded to a multiple of 16 octets.
    let end = password.length;
    while (end > 0 && password[end - 1] === 0) end--;
    if (end > MAX_PASSWORD) return this.fail(`TTLS: User-Password over ${MAX_PASSWORD} octets`);
    this.identity = decoder.decode(name);
    this.state = 'authenticating';
    return {
      kind: 'authenticate',
      attributes: [
        userNameAttribute(this.identity),
        // Deliberate copy: the AVP is a view of the engine's buffer.
        { type: AuthAttributeType.UserPassword, value: password.slice(0, end) },
      ],
    };
  }

  completed(input: EapInput): TunnelStep {
    if (this.state !== 'authenticating') return this.fail('TTLS: no authentication pending');
    this.state = 'done';
    const code = input.authResultCode ?? 1;
    return code === 0
      ? { kind: 'success', reason: `TTLS/PAP: ${this.identity} accepted`, identity: this.identity }
      : { kind: 'failure', reason: `TTLS/PAP: ${this.identity} refused (${code})` };
  }

  end(): void {}

  private fail(reason: string): TunnelStep {
    this.state = 'done';
    return { kind: 'failure', reason };
  }
}

class TtlsPapPeer implements TunnelPeer {
  succeeded = false;

  constructor(
    private readonly options: TtlsMethodOptions,
    private readonly input: EapInput,
  ) {}

  start(): TunnelStep {
    const password = this.input.password;
    if (password === undefined) return { kind: 'failure', reason: 'TTLS/PAP needs a password' };
    const plain = encoder.encode(password);
    if (plain.length > MAX_PASSWORD) {
      return { kind: 'failure', reason: `TTLS: password over ${MAX_PASSWORD} octets` };
    }
    const padded = new Uint8Array(Math.max(16, (plain.length + 15) & ~15));
    padded.set(plain);
    const name = this.options.innerIdentity ?? this.input.identity ?? '';
    // The server decides with what it has; the peer may accept Success once the AVPs went out.
    this.succeeded = true;
    return {
      kind: 'write',
      data: encodeTtlsAvps([
        { code: TtlsAvpCode.UserName, flags: TtlsAvpFlag.Mandatory, data: encoder.encode(name) },
        { code: TtlsAvpCode.UserPassword, flags: TtlsAvpFlag.Mandatory, data: padded },
      ]),
    };
  }

  receive(): TunnelStep {
    // PAP has nothing more to say: anything the server sends in the tunnel is unexpected.
    this.succeeded = false;
    return { kind: 'failure', reason: 'TTLS/PAP: unexpected data from the server in the tunnel' };
  }

  end(): void {}
}

/** The EAP packet in a message's EAP-Message AVPs (joined when split), or why there is none. */
function eapFromAvps(data: Uint8Array): EapMessage | string {
  const parsed = parseTtlsAvps(data);
  if (!parsed.ok) return `TTLS AVPs: ${parsed.reason}`;
  const parts: Uint8Array[] = [];
  for (const avp of parsed.avps) {
    if (avp.vendorId === undefined && avp.code === EAP_MESSAGE_AVP) parts.push(avp.data);
    else if ((avp.flags & TtlsAvpFlag.Mandatory) !== 0)
      return `TTLS: unsupported mandatory AVP ${avp.code}`;
  }
  if (parts.length === 0) return 'TTLS: no EAP-Message AVP';
  let bytes = parts[0] as Uint8Array;
  if (parts.length > 1) {
    bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
  }
  const packet = parseEap(bytes);
  if (!packet.ok) return `TTLS inner EAP: ${packet.failure.message}`;
  if (!isEapMessage(packet.value)) return 'TTLS: an inner Success/Failure';
  return packet.value;
}

function eapAvp(packet: EapMessage): Uint8Array {
  return encodeTtlsAvps([
    { code: EAP_MESSAGE_AVP, flags: TtlsAvpFlag.Mandatory, data: encodeEap(packet) },
  ]);
}

/** Phase 2 with an inner EAP method, authenticator side. */
class TtlsEapAuthenticator implements TunnelAuthenticator {
  private phase: 'identity' | 'inner' | 'done' = 'identity';
  private identifier = 0;
  private workState: unknown;
  private begun = false;
  /** The inner Identity the peer gave (the one the provider checks). */
  private innerIdentity = '';

  constructor(
    private readonly inner: EapMethod,
    private readonly input: EapInput,
  ) {}

  start(): TunnelStep {
    // The peer acknowledged instead of sending its Identity: ask for it.
    this.identifier = ((this.input.initialId ?? 0) + 1) & 0xff;
    return {
      kind: 'write',
      data: eapAvp({
        code: EapCode.Request,
        identifier: this.identifier,
        type: EapType.Identity,
        typeData: new Uint8Array(0),
      }),
    };
  }

  receive(data: Uint8Array): TunnelStep {
    const packet = eapFromAvps(data);
    if (typeof packet === 'string') return this.fail(packet);
    if (packet.code !== EapCode.Response) return this.fail('TTLS: an inner Request from the peer');
    if (this.phase === 'identity') {
      if (packet.type !== EapType.Identity) {
        return this.fail(`TTLS: expected the inner Identity, got type ${packet.type}`);
      }
      this.identifier = packet.identifier;
      this.innerIdentity = decoder.decode(packet.typeData);
      try {
        this.workState = this.inner.begin({
          authenticator: true,
          identity: this.innerIdentity,
          initialId: (packet.identifier + 1) & 0xff,
          flags: this.input.flags ?? 0,
        });
      } catch (error) {
        return this.fail(`inner ${this.inner.info.name} begin: ${(error as Error).message}`);
      }
      this.begun = true;
      this.phase = 'inner';
      return this.relay(null, undefined);
    }
    if (this.phase !== 'inner') return this.fail('TTLS phase 2 already finished');
    if (packet.identifier !== this.identifier) {
      return this.fail(`TTLS: inner Identifier ${packet.identifier}, expected ${this.identifier}`);
    }
    return this.relay(packet, undefined);
  }

  completed(input: EapInput): TunnelStep {
    if (this.phase !== 'inner')
      return this.fail('TTLS: a provider answer outside the inner method');
    return this.relay(null, input);
  }

  end(): void {
    if (!this.begun) return;
    this.begun = false;
    try {
      this.inner.end(this.workState);
    } catch {
      // The session ends either way.
    }
  }

  private relay(packet: EapMessage | null, input: EapInput | undefined): TunnelStep {
    let result: EapMakeMessageResult;
    try {
      result = this.inner.makeMessage(this.workState, packet, INNER_CAPACITY, input);
    } catch (error) {
      return this.fail(`inner ${this.inner.info.name} threw: ${(error as Error).message}`);
    }
    const answer = innerAnswer(result, this.inner.info.name);
    switch (answer.kind) {
      case 'send':
        if (answer.packet.code !== EapCode.Request) {
          return this.fail(`inner ${this.inner.info.name} sent a Response`);
        }
        this.identifier = answer.packet.identifier;
        return { kind: 'write', data: eapAvp(answer.packet) };
      case 'authenticate':
        return answer.step;
      case 'failure':
        return this.fail(answer.reason);
      case 'done':
        // The inner Success/Failure is not sent: the outer one says it (RFC 5281 §11.2.4).
        this.phase = 'done';
        return answer.success
          ? { kind: 'success', reason: `TTLS: ${answer.reason}`, identity: this.innerIdentity }
          : { kind: 'failure', reason: `TTLS: ${answer.reason}` };
    }
  }

  private fail(reason: string): TunnelStep {
    this.phase = 'done';
    return { kind: 'failure', reason };
  }
}

/**
 * The authenticator with an inner method serves both: PAP when the peer's
 * first AVPs carry User-Password, the inner EAP method when they carry an
 * EAP-Message (or when the peer only acknowledged), as FreeRADIUS does.
 */
class TtlsEitherAuthenticator implements TunnelAuthenticator {
  private chosen: TunnelAuthenticator | undefined;

  constructor(
    private readonly inner: EapMethod,
    private readonly input: EapInput,
  ) {}

  start(): TunnelStep {
    this.chosen ??= new TtlsEapAuthenticator(this.inner, this.input);
    return this.chosen.start();
  }

  receive(data: Uint8Array): TunnelStep {
    if (this.chosen === undefined) {
      const parsed = parseTtlsAvps(data);
      const eap =
        parsed.ok &&
        parsed.avps.some((a) => a.vendorId === undefined && a.code === EAP_MESSAGE_AVP);
      this.chosen = eap
        ? new TtlsEapAuthenticator(this.inner, this.input)
        : new TtlsPapAuthenticator();
    }
    return this.chosen.receive(data);
  }

  completed(input: EapInput): TunnelStep {
    return this.chosen === undefined
      ? { kind: 'failure', reason: 'TTLS: no authentication pending' }
      : this.chosen.completed(input);
  }

  end(): void {
    this.chosen?.end();
  }
}

/** Phase 2 with an inner EAP method, peer side. */
class TtlsEapPeer implements TunnelPeer {
  private workState: unknown;
  private begun = false;
  private innerDone: boolean | undefined;

  constructor(
    private readonly options: TtlsMethodOptions,
    private readonly inner: EapMethod,
    private readonly input: EapInput,
  ) {}

  private get identity(): string {
    return this.options.innerIdentity ?? this.input.identity ?? '';
  }

  /** The outer Success stands for the inner one: the inner method decides whether it may accept it. */
  get succeeded(): boolean {
    if (this.innerDone === undefined && this.begun) {
      try {
        const result = this.inner.makeMessage(
          this.workState,
          { code: EapCode.Success, identifier: 0 },
          INNER_CAPACITY,
        );
        const answer = innerAnswer(result, this.inner.info.name);
        this.innerDone = answer.kind === 'done' && answer.success;
      } catch {
        this.innerDone = false;
      }
    }
    return this.innerDone === true;
  }

  start(): TunnelStep {
    // The peer speaks first: its Identity (wpa_supplicant does the same).
    return this.respond(0, EapType.Identity, encoder.encode(this.identity));
  }

  receive(data: Uint8Array): TunnelStep {
    const packet = eapFromAvps(data);
    if (typeof packet === 'string') return { kind: 'failure', reason: packet };
    if (packet.code !== EapCode.Request) {
      return { kind: 'failure', reason: 'TTLS: an inner Response from the server' };
    }
    if (packet.type === EapType.Identity) {
      return this.respond(packet.identifier, EapType.Identity, encoder.encode(this.identity));
    }
    if (packet.type !== this.inner.info.type) {
      return this.respond(packet.identifier, EapType.Nak, Uint8Array.of(this.inner.info.type));
    }
    if (!this.begun) {
      try {
        this.workState = this.inner.begin({
          authenticator: false,
          identity: this.identity,
          ...(this.input.password === undefined ? {} : { password: this.input.password }),
          flags: (this.input.flags ?? 0) | RasEapFlag.NonInteractive,
        });
      } catch (error) {
        return { kind: 'failure', reason: `inner begin: ${(error as Error).message}` };
      }
      this.begun = true;
    }
    let result: EapMakeMessageResult;
    try {
      result = this.inner.makeMessage(this.workState, packet, INNER_CAPACITY);
    } catch (error) {
      return { kind: 'failure', reason: `inner threw: ${(error as Error).message}` };
    }
    const answer = innerAnswer(result, this.inner.info.name);
    if (answer.kind === 'send' && answer.packet.code === EapCode.Response) {
      return { kind: 'write', data: eapAvp(answer.packet) };
    }
    if (answer.kind === 'done') this.innerDone = answer.success;
    return {
      kind: 'failure',
      reason:
        answer.kind === 'failure' || answer.kind === 'done'
          ? answer.reason
          : `inner answered ${answer.kind}`,
    };
  }

  end(): void {
    if (!this.begun) return;
    this.begun = false;
    try {
      this.inner.end(this.workState);
    } catch {
      // The session ends either way.
    }
  }

  private respond(identifier: number, type: number, typeData: Uint8Array): TunnelStep {
    return { kind: 'write', data: eapAvp({ code: EapCode.Response, identifier, type, typeData }) };
  }
}

export function ttlsProfile(options: TtlsMethodOptions): TlsMethodProfile {
  const inner = options.inner;
  return {
    type: EapType.Ttls,
    name: 'TTLS',
    version: 0,
    keyLabel: TTLS_KEY_LABEL,
    tunnel: {
      authenticator: (input) =>
        inner === undefined
          ? new TtlsPapAuthenticator()
          : new TtlsEitherAuthenticator(inner, input),
      peer: (input) =>
        inner === undefined
          ? new TtlsPapPeer(options, input)
          : new TtlsEapPeer(options, inner, input),
    },
  };
}

/**
 * EAP-TTLSv0 with PAP inside, or with `options.inner` (the authenticator
 * then serves PAP too, chosen by the peer's AVPs). The TLS engine factory is configured as for
 * PEAP (no client certificate); the authenticator needs a provider that
 * checks PAP (`LocalAuthenticationProvider` does); the peer needs the password.
 */
export function createTtlsMethod(options: TtlsMethodOptions): EapMethod<TlsMethodState> {
  return createTlsBasedMethod(options, ttlsProfile(options), EapMethodFlag.NeedsPassword);
}
