/**
 * The one moment a TLS-based conversation (EAP-TLS, PEAP, TTLS) can move to
 * another process on the authenticator side: its Start Request is out and
 * no TLS engine exists yet (the engine starts with the peer's ClientHello
 * and its state can never leave its process). Saved, that is only the
 * Start's Identifier; restored, the method awaits the ClientHello as if it
 * had sent the Start itself, so the server that takes that round starts
 * the engine and owns the rest of the conversation. Any later phase saves
 * nothing (undefined), so it stays where its engine is.
 */
import { EapCode } from '../../wire/eap.js';
import { TlsFlag } from '../tls/framing.js';
import type { EapInput } from '../contract.js';
import { beginTlsAuthenticator, type TlsAuthenticatorState } from './tls-authenticator.js';
import {
  flagsOnly,
  tlsMessage,
  type TlsMethodOptions,
  type TlsMethodProfile,
} from './tls-common.js';

const START_FORMAT = 1;

/** `saveState` of a TLS-based method: its Start phase, or undefined once TLS began. */
export function saveTlsStart(state: TlsAuthenticatorState): Uint8Array | undefined {
  const channel = state.channel;
  const started =
    state.phase === 'handshake' &&
    channel.engine === undefined &&
    channel.sending === undefined &&
    channel.pendingOutput.length === 0 &&
    !state.working &&
    state.lastRequest !== undefined;
  if (!started) return undefined;
  return Uint8Array.of(START_FORMAT, state.identifier);
}

/** `restoreState` of a TLS-based method: the Start phase `saveTlsStart` saved. Never throws. */
export function restoreTlsStart(
  options: TlsMethodOptions,
  profile: TlsMethodProfile,
  saved: Uint8Array,
  input: EapInput,
): TlsAuthenticatorState | undefined {
  if (saved.length !== 2 || saved[0] !== START_FORMAT || !input.authenticator) return undefined;
  const identifier = saved[1] as number;
  const state = beginTlsAuthenticator(options, input);
  state.phase = 'handshake';
  state.identifier = identifier;
  state.lastRequest = tlsMessage(
    EapCode.Request,
    identifier,
    flagsOnly(TlsFlag.Start | profile.version),
    profile.type,
  );
  return state;
}
