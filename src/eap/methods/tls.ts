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
import { EapType } from '../../wire/eap.js';
import { EapMethodFlag, type EapMethod } from '../contract.js';
import {
  beginTlsAuthenticator,
  tlsAuthenticatorMessage,
  type TlsAuthenticatorState,
} from './tls-authenticator.js';
import { beginTlsPeer, tlsPeerMessage, type TlsPeerState } from './tls-peer.js';
import type { TlsMethodOptions } from './tls-common.js';

export type TlsMethodState = TlsAuthenticatorState | TlsPeerState;

export function createTlsMethod(options: TlsMethodOptions): EapMethod<TlsMethodState> {
  return {
    info: {
      type: EapType.Tls,
      name: 'EAP-TLS',
      flags:
        EapMethodFlag.Peer |
        EapMethodFlag.Authenticator |
        EapMethodFlag.KeyDerivation |
        EapMethodFlag.MutualAuthentication,
    },
    begin(input) {
      return input.authenticator ? beginTlsAuthenticator(options, input) : beginTlsPeer(options);
    },
    end(state) {
      state.channel.engine?.close();
      state.channel.engine = undefined;
      state.channel.reassembler.reset();
      state.channel.sending = undefined;
      state.channel.pendingOutput = [];
    },
    makeMessage(state, received, sendCapacity, input) {
      return state.side === 'authenticator'
        ? tlsAuthenticatorMessage(options, state, received, sendCapacity, input)
        : tlsPeerMessage(options, state, received, sendCapacity, input);
    },
  };
}
