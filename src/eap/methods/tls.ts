/**
 * EAP-TLS (type 13; RFC 5216 for TLS 1.2, RFC 9190 for TLS 1.3) on the RAS
 * method contract. The TLS itself is an injected engine (`TlsEngineFactory`,
 * netrx/node's `createNodeTlsEngineFactory` on Node), so the method is
 * sans-I/O: it does the EAP framing (Start, L/M flags, fragment ACKs,
 * bounded reassembly), the TLS 1.3 commitment message, and the keys — MSK
 * and EMSK from the engine's exporter, returned as MS-MPPE keys (vendor 311)
 * and the Session-Id as EAP-Key-Name. Client certificates are required and
 * checked by the engine against its CA. The engine answers asynchronously,
 * so the method returns `pendingWork` while it computes.
 */
import { EapMethodFlag, type EapMethod } from '../contract.js';
import {
  beginTlsAuthenticator,
  tlsAuthenticatorMessage,
  type TlsAuthenticatorState,
} from './tls-authenticator.js';
import { beginTlsPeer, tlsPeerMessage, type TlsPeerState } from './tls-peer.js';
import { EAP_TLS_PROFILE, type TlsMethodOptions, type TlsMethodProfile } from './tls-common.js';
import { restoreTlsStart, saveTlsStart } from './tls-saved-start.js';

export type TlsMethodState = TlsAuthenticatorState | TlsPeerState;

export function createTlsMethod(options: TlsMethodOptions): EapMethod<TlsMethodState> {
  return createTlsBasedMethod(options, EAP_TLS_PROFILE, 0);
}

/**
 * A method on the EAP-TLS framing with `profile`'s type, version and phase 2
 * (PEAP and TTLS are built on it). `extraFlags` adds to the common
 * `EapMethodFlag`s.
 */
export function createTlsBasedMethod(
  options: TlsMethodOptions,
  profile: TlsMethodProfile,
  extraFlags: number,
): EapMethod<TlsMethodState> {
  return {
    info: {
      type: profile.type,
      name: profile.name,
      flags:
        EapMethodFlag.Peer |
        EapMethodFlag.Authenticator |
        EapMethodFlag.KeyDerivation |
        EapMethodFlag.MutualAuthentication |
        extraFlags,
    },
    begin(input) {
      return input.authenticator
        ? beginTlsAuthenticator(options, input)
        : beginTlsPeer(options, input);
    },
    end(state) {
      state.tunnel?.end();
      state.tunnel = undefined;
      state.channel.engine?.close();
      state.channel.engine = undefined;
      state.channel.reassembler.reset();
      state.channel.sending = undefined;
      state.channel.pendingOutput = [];
    },
    // Only the Start phase moves between processes (tls-saved-start.ts): the engine never does.
    saveState(state) {
      return state.side === 'authenticator' ? saveTlsStart(state) : undefined;
    },
    restoreState(saved, input) {
      return restoreTlsStart(options, profile, saved, input);
    },
    makeMessage(state, received, sendCapacity, input) {
      return state.side === 'authenticator'
        ? tlsAuthenticatorMessage(options, profile, state, received, sendCapacity, input)
        : tlsPeerMessage(options, profile, state, received, sendCapacity, input);
    },
  };
}
