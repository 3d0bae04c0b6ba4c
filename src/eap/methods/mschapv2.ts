/**
 * EAP-MSCHAPv2 (EAP type 26, draft-kamath-pppext-eap-mschapv2-02, RFC 2759,
 * RFC 3079 keys), both sides, on the RAS contract.
 *
 * Authenticator: Challenge → (peer's Response) → `authenticate` → Success
 * Request with `S=<authenticator response>` → (peer's Success Response) →
 * EAP-Success with the MS-MPPE keys; or, when the provider refuses, a
 * Failure Request `E=691 R=0 C=… V=3 M=…` → (peer's Failure Response) →
 * EAP-Failure. The method holds no credentials: it hands the provider
 * User-Name, MS-CHAP-Challenge and MS-CHAP2-Response (RFC 2548 §2.3.2), as RAS
 * hands them to IAS/NPS or a RADIUS server, and takes MS-CHAP2-Success and
 * MS-MPPE-Send/Recv-Key back; `LocalAuthenticationProvider` answers from a
 * cleartext password or an NT hash.
 *
 * Peer: answers the Challenge with a random Peer-Challenge and the
 * NT-Response, checks the `S=` string in constant time (mutual
 * authentication: a wrong one ends the session with 691 and the Success
 * Request is never acknowledged), acknowledges Success or Failure, and ends
 * on EAP-Success (with its MPPE keys) or EAP-Failure (with the E= number).
 * Password changes (OpCode 7) and retries (R=1) are not offered: R=0 always.
 *
 * This file is the method's contract; each side is in its own file
 * (mschapv2-authenticator.ts, mschapv2-peer.ts), the packet formats in
 * mschapv2-format.ts.
 */
import type { Crypto } from '../../runtime/index.js';
import { EapType } from '../../wire/eap.js';
import { EapMethodFlag, type EapInput, type EapMethod } from '../contract.js';
import {
  authenticatorMessage,
  beginAuthenticator,
  restoreAuthenticatorState,
  saveAuthenticatorState,
  type AuthenticatorSettings,
  type AuthenticatorState,
} from './mschapv2-authenticator.js';
import { beginPeer, peerMessage, type PeerState } from './mschapv2-peer.js';

export { mschapUserName } from './mschapv2-format.js';

export interface MschapV2MethodOptions {
  readonly crypto: Crypto;
  /** The Name the authenticator puts in its Challenge; default "netrx". */
  readonly serverName?: string;
  /** The M= text of the Success Request; default "Authentication succeeded". */
  readonly successMessage?: string;
  /** The M= text of the Failure Request; default "Authentication failed". */
  readonly failureMessage?: string;
}

type MschapV2State = AuthenticatorState | PeerState;

export function createMschapV2Method(options: MschapV2MethodOptions): EapMethod<MschapV2State> {
  const { crypto } = options;
  const settings: AuthenticatorSettings = {
    crypto,
    serverName: options.serverName ?? 'netrx',
    successText: options.successMessage ?? 'Authentication succeeded',
    failureText: options.failureMessage ?? 'Authentication failed',
  };

  return {
    info: {
      type: EapType.MsChapV2,
      name: 'MSCHAPv2',
      flags:
        EapMethodFlag.Peer |
        EapMethodFlag.Authenticator |
        EapMethodFlag.KeyDerivation |
        EapMethodFlag.MutualAuthentication |
        EapMethodFlag.NeedsPassword |
        EapMethodFlag.Interactive,
    },
    begin(input: EapInput): MschapV2State {
      return input.authenticator ? beginAuthenticator(input) : beginPeer(input);
    },
    saveState(state: MschapV2State): Uint8Array | undefined {
      // Only the authenticator is saved, between its Requests (the cluster's bucket).
      return state.side === 'authenticator' ? saveAuthenticatorState(state) : undefined;
    },
    restoreState(saved: Uint8Array, input: EapInput): MschapV2State | undefined {
      return input.authenticator ? restoreAuthenticatorState(saved, input) : undefined;
    },
    end(state: MschapV2State): void {
      state.keys?.sendKey.fill(0);
      state.keys?.recvKey.fill(0);
      if (state.side === 'authenticator') state.challenge.fill(0);
      else state.password = undefined;
    },
    makeMessage(state, received, _sendCapacity, input) {
      return state.side === 'authenticator'
        ? authenticatorMessage(settings, state, received, input)
        : peerMessage(crypto, state, received, input);
    },
  };
}
