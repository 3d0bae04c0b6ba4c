/**
 * EAP-MD5-Challenge (RFC 3748 §5.4, the CHAP computation of RFC 1994 §4.1):
 * the authenticator sends Value-Size 16 and a random challenge; the peer
 * answers MD5(Identifier ‖ password ‖ challenge). Written against the RAS
 * contract like any third-party method: the authenticator side checks the
 * answer through the `authenticate` action (the provider sees User-Name,
 * CHAP-Challenge and CHAP-Password, exactly what RAS's MD5-CHAP provider
 * takes), the peer side asks the interactive UI for a password it was not
 * given. No keys: MD5 derives no MSK. Both sides own their Identifiers as
 * the seed says: the authenticator numbers its Request from `initialId`, the
 * peer answers with the Request's.
 */
import type { Crypto } from '../../runtime/index.js';
import { EapCode, EapType, type EapMessage, type EapPacket } from '../../wire/eap.js';
import { AuthAttributeType, userNameAttribute } from '../attributes.js';
import {
  EapAction,
  EapMethodFlag,
  invalidPacket,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
} from '../contract.js';
import { EapResultCode } from '../result-codes.js';
import { ByteWriter, SavedStateReader, writeShortBytes } from './saved-state.js';
import { utf8Bytes } from '../../bytes/index.js';

export const MD5_CHALLENGE_LENGTH = 16;
/** First octet of MD5's saved authenticator state. */
const MD5_SAVED_FORMAT = 1;

export interface Md5MethodOptions {
  readonly crypto: Crypto;
  /** Challenge length on the authenticator side, 1..255; default 16. */
  readonly challengeLength?: number;
  /** The optional Name field the authenticator appends to its Request (RFC 1994 §4.1). */
  readonly serverName?: string;
}

interface AuthenticatorState {
  readonly side: 'authenticator';
  phase: 'start' | 'challenged' | 'authenticating' | 'done';
  readonly identity: string | undefined;
  readonly identifier: number;
  challenge: Uint8Array;
  /** Kept so a timeout (null packet) resends exactly the last Request. */
  lastRequest: EapMessage | undefined;
}

interface PeerState {
  readonly side: 'peer';
  readonly identity: string | undefined;
  password: string | undefined;
  responded: boolean;
  /** The Request waiting for the password from the interactive UI. */
  pending: { identifier: number; challenge: Uint8Array } | undefined;
}

type Md5State = AuthenticatorState | PeerState;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The RFC 1994 response: MD5(Identifier ‖ secret ‖ challenge). */
export function md5ChallengeResponse(
  crypto: Crypto,
  identifier: number,
  password: Uint8Array,
  challenge: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return crypto.digest('md5', Uint8Array.of(identifier & 0xff), password, challenge);
}

/** Value-Size, Value, Name of MD5-Challenge type data; undefined when malformed. */
export function parseMd5TypeData(
  typeData: Uint8Array,
): { readonly value: Uint8Array; readonly name: Uint8Array } | undefined {
  const size = typeData[0];
  if (size === undefined || size === 0 || 1 + size > typeData.length) return undefined;
  return { value: typeData.subarray(1, 1 + size), name: typeData.subarray(1 + size) };
}

/** CHAP-Password: the CHAP Ident, then the 16-byte response. */
function chapPassword(identifier: number, response: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(1 + response.length);
  out[0] = identifier;
  out.set(response, 1);
  return out;
}

function md5TypeData(value: Uint8Array, name: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(1 + value.length + name.length);
  out[0] = value.length;
  out.set(value, 1);
  out.set(name, 1 + value.length);
  return out;
}

export function createMd5Method(options: Md5MethodOptions): EapMethod<Md5State> {
  const challengeLength = options.challengeLength ?? MD5_CHALLENGE_LENGTH;
  if (!Number.isInteger(challengeLength) || challengeLength < 1 || challengeLength > 255) {
    throw new RangeError(`challengeLength must be 1..255: got ${challengeLength}`);
  }
  const serverName = encoder.encode(options.serverName ?? '');
  const { crypto } = options;

  function authenticatorMessage(
    state: AuthenticatorState,
    received: EapPacket | null,
    input: EapInput | undefined,
  ): EapMakeMessageResult {
    if (input?.authenticationComplete === true) {
      if (state.phase !== 'authenticating') return invalidPacket('no authentication pending');
      state.phase = 'done';
      const resultCode = input.authResultCode ?? EapResultCode.ERROR_AUTH_INTERNAL;
      return {
        action: EapAction.SendAndDone,
        packet: {
          code: resultCode === 0 ? EapCode.Success : EapCode.Failure,
          identifier: state.identifier,
        },
        authResultCode: resultCode,
      };
    }
    if (received === null) {
      if (state.phase === 'start') {
        state.challenge = crypto.randomBytes(challengeLength);
        state.lastRequest = {
          code: EapCode.Request,
          identifier: state.identifier,
          type: EapType.Md5Challenge,
          typeData: md5TypeData(state.challenge, serverName),
        };
        state.phase = 'challenged';
      }
      // Start, or a timeout: (re)send the one Request this method ever sends.
      if (state.phase === 'challenged' && state.lastRequest !== undefined) {
        return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
      }
      return { action: EapAction.NoAction };
    }
    if (received.code !== EapCode.Response || received.type !== EapType.Md5Challenge) {
      return invalidPacket('not an MD5-Challenge Response');
    }
    if (state.phase !== 'challenged') return invalidPacket('no challenge outstanding');
    if (received.identifier !== state.identifier) return invalidPacket('wrong Identifier');
    const parsed = parseMd5TypeData(received.typeData);
    if (parsed === undefined || parsed.value.length !== MD5_CHALLENGE_LENGTH) {
      return invalidPacket('malformed MD5 response value');
    }
    state.phase = 'authenticating';
    return {
      action: EapAction.Authenticate,
      userAttributes: [
        userNameAttribute(state.identity ?? ''),
        { type: AuthAttributeType.ChapChallenge, value: state.challenge },
        {
          type: AuthAttributeType.ChapPassword,
          // CHAP-Password: the CHAP Ident, then the 16-byte response (RFC 2865 §5.3).
          value: chapPassword(state.identifier, parsed.value),
        },
      ],
    };
  }

  function respond(
    state: PeerState,
    identifier: number,
    challenge: Uint8Array,
    password: string,
  ): EapMakeMessageResult {
    state.responded = true;
    return {
      action: EapAction.Send,
      packet: {
        code: EapCode.Response,
        identifier,
        type: EapType.Md5Challenge,
        typeData: md5TypeData(
          md5ChallengeResponse(crypto, identifier, utf8Bytes(password), challenge),
          new Uint8Array(0),
        ),
      },
    };
  }

  function peerMessage(
    state: PeerState,
    received: EapPacket | null,
    input: EapInput | undefined,
  ): EapMakeMessageResult {
    if (received === null) {
      if (input?.dataFromInteractiveUi !== undefined && state.pending !== undefined) {
        const { identifier, challenge } = state.pending;
        state.pending = undefined;
        state.password = decoder.decode(input.dataFromInteractiveUi);
        return respond(state, identifier, challenge, state.password);
      }
      if (input?.successPacketReceived === true && state.responded) {
        return { action: EapAction.Done, authResultCode: 0 };
      }
      // The peer never retransmits: a null packet without a completion changes nothing.
      return { action: EapAction.NoAction };
    }
    if (received.code === EapCode.Success) {
      // MD5 does not authenticate the server: Success is acceptable once we answered (COND_SUCC).
      return state.responded
        ? { action: EapAction.Done, authResultCode: 0 }
        : { action: EapAction.Done, authResultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE };
    }
    if (received.code === EapCode.Failure) {
      return { action: EapAction.Done, authResultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE };
    }
    if (received.code !== EapCode.Request || received.type !== EapType.Md5Challenge) {
      return invalidPacket('not an MD5-Challenge Request');
    }
    const parsed = parseMd5TypeData(received.typeData);
    if (parsed === undefined) return invalidPacket('malformed MD5 challenge');
    if (state.password === undefined) {
      // Deliberate copy: the received packet's bytes belong to the framework.
      state.pending = { identifier: received.identifier, challenge: parsed.value.slice() };
      return {
        action: EapAction.NoAction,
        invokeInteractiveUi: {
          contextData: encoder.encode(`password for ${state.identity ?? ''}`),
        },
      };
    }
    return respond(state, received.identifier, parsed.value, state.password);
  }

  return {
    info: {
      type: EapType.Md5Challenge,
      name: 'MD5-Challenge',
      flags:
        EapMethodFlag.Peer |
        EapMethodFlag.Authenticator |
        EapMethodFlag.NeedsPassword |
        EapMethodFlag.Interactive,
    },
    begin(input: EapInput): Md5State {
      if (input.authenticator) {
        return {
          side: 'authenticator',
          phase: 'start',
          identity: input.identity,
          identifier: (input.initialId ?? 0) & 0xff,
          challenge: new Uint8Array(0),
          lastRequest: undefined,
        };
      }
      return {
        side: 'peer',
        identity: input.identity,
        password: input.password,
        responded: false,
        pending: undefined,
      };
    },
    saveState(state: Md5State): Uint8Array | undefined {
      // Only a challenge awaiting its Response can move: the Request is rebuilt from it.
      if (state.side !== 'authenticator' || state.phase !== 'challenged') return undefined;
      const writer = ByteWriter.growable(64);
      writer.u8(MD5_SAVED_FORMAT).u8(state.identifier);
      writeShortBytes(writer, state.challenge);
      return writer.finish();
    },
    restoreState(saved: Uint8Array, input: EapInput): Md5State | undefined {
      if (!input.authenticator) return undefined;
      const reader = new SavedStateReader(saved);
      const format = reader.u8();
      const identifier = reader.u8();
      const challenge = reader.shortBytes();
      if (!reader.complete || format !== MD5_SAVED_FORMAT || challenge.length < 1) return undefined;
      return {
        side: 'authenticator',
        phase: 'challenged',
        identity: input.identity,
        identifier,
        challenge,
        lastRequest: {
          code: EapCode.Request,
          identifier,
          type: EapType.Md5Challenge,
          typeData: md5TypeData(challenge, serverName),
        },
      };
    },
    end(state: Md5State): void {
      if (state.side === 'authenticator') state.challenge.fill(0);
      else state.password = undefined;
    },
    makeMessage(state, received, _sendCapacity, input) {
      return state.side === 'authenticator'
        ? authenticatorMessage(state, received, input)
        : peerMessage(state, received, input);
    },
  };
}
