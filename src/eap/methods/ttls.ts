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
 * client.random ‖ server.random. (TLS 1.3, RFC 9427, is the EAP-TLS exporter
 * with context 21; not interop-tested.)
 */
import { EapType } from '../../wire/eap.js';
import { AuthAttributeType, userNameAttribute } from '../attributes.js';
import { EapMethodFlag, type EapInput, type EapMethod } from '../contract.js';
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
}

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
      ? { kind: 'success', reason: `TTLS/PAP: ${this.identity} accepted` }
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

export function ttlsProfile(options: TtlsMethodOptions): TlsMethodProfile {
  return {
    type: EapType.Ttls,
    name: 'TTLS',
    version: 0,
    keyLabel: TTLS_KEY_LABEL,
    tunnel: {
      authenticator: () => new TtlsPapAuthenticator(),
      peer: (input) => new TtlsPapPeer(options, input),
    },
  };
}

/**
 * EAP-TTLSv0 with PAP inside. The TLS engine factory is configured as for
 * PEAP (no client certificate); the authenticator needs a provider that
 * checks PAP (`LocalAuthenticationProvider` does); the peer needs the password.
 */
export function createTtlsMethod(options: TtlsMethodOptions): EapMethod<TlsMethodState> {
  return createTlsBasedMethod(options, ttlsProfile(options), EapMethodFlag.NeedsPassword);
}
