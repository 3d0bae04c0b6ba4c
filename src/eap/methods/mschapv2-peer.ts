/**
 * EAP-MSCHAPv2's peer side (mschapv2.ts): answers the Challenge with a
 * random Peer-Challenge and the NT-Response (asking for the password
 * through the interactive UI when it has none), checks the Success
 * Request's `S=` in constant time, acknowledges Success or Failure, and
 * ends on EAP-Success (with its MPPE keys) or EAP-Failure (its E= number).
 */
import type { Crypto } from '../../runtime/index.js';
import { EapCode, EapType, type EapPacket } from '../../wire/eap.js';
import { mppeKeyAttributes } from '../attributes.js';
import { EapAction, invalidPacket, type EapInput, type EapMakeMessageResult } from '../contract.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  ntPasswordHash,
} from '../crypto/index.js';
import { constantTimeEqual } from '../local-provider.js';
import { EapResultCode } from '../result-codes.js';
import {
  MSCHAPV2_CHALLENGE_LENGTH,
  MschapV2OpCode,
  decodeMschapText,
  mschapUserName,
  parseFailureMessage,
  parseMschapV2,
  parseSuccessMessage,
  parseValueBody,
  responseValue,
  valueTypeData,
} from './mschapv2-format.js';

const encoder = new TextEncoder();

export interface PeerState {
  readonly side: 'peer';
  readonly identity: string;
  password: string | undefined;
  phase: 'idle' | 'responded' | 'success-acked' | 'failure-acked' | 'done';
  pending: { identifier: number; msId: number; challenge: Uint8Array } | undefined;
  expectedAuthenticatorResponse: string | undefined;
  keys: { sendKey: Uint8Array; recvKey: Uint8Array } | undefined;
  failureCode: number;
}

/** A new peer conversation (`begin`). */
export function beginPeer(input: EapInput): PeerState {
  return {
    side: 'peer',
    identity: input.identity ?? '',
    password: input.password,
    phase: 'idle',
    pending: undefined,
    expectedAuthenticatorResponse: undefined,
    keys: undefined,
    failureCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
  };
}

function respond(
  crypto: Crypto,
  state: PeerState,
  identifier: number,
  msId: number,
  challenge: Uint8Array,
  password: string,
): EapMakeMessageResult {
  const passwordHash = ntPasswordHash(password);
  const peerChallenge = crypto.randomBytes(16);
  const userName = mschapUserName(state.identity);
  const ntResponse = generateNtResponse(crypto, challenge, peerChallenge, userName, passwordHash);
  state.expectedAuthenticatorResponse = generateAuthenticatorResponse(
    crypto,
    passwordHash,
    ntResponse,
    peerChallenge,
    challenge,
    userName,
  );
  const master = mppeMasterKey(crypto, passwordHash, ntResponse);
  state.keys = {
    sendKey: mppeAsymmetricStartKey(crypto, master, 16, true, false),
    recvKey: mppeAsymmetricStartKey(crypto, master, 16, false, false),
  };
  master.fill(0);
  passwordHash.fill(0);
  state.phase = 'responded';
  return {
    action: EapAction.Send,
    packet: {
      code: EapCode.Response,
      identifier,
      type: EapType.MsChapV2,
      typeData: valueTypeData(
        MschapV2OpCode.Response,
        msId,
        responseValue(peerChallenge, ntResponse),
        state.identity,
      ),
    },
  };
}

function ack(identifier: number, opCode: 3 | 4): EapMakeMessageResult {
  return {
    action: EapAction.Send,
    packet: {
      code: EapCode.Response,
      identifier,
      type: EapType.MsChapV2,
      typeData: Uint8Array.of(opCode),
    },
  };
}

function peerDone(state: PeerState, code: number): EapMakeMessageResult {
  state.phase = 'done';
  if (code !== 0 || state.keys === undefined) {
    return {
      action: EapAction.Done,
      authResultCode: code === 0 ? EapResultCode.ERROR_AUTHENTICATION_FAILURE : code,
    };
  }
  return {
    action: EapAction.Done,
    authResultCode: 0,
    userAttributes: mppeKeyAttributes(state.keys),
  };
}

/** One call of `makeMessage` on the peer side. */
export function peerMessage(
  crypto: Crypto,
  state: PeerState,
  received: EapPacket | null,
  input: EapInput | undefined,
): EapMakeMessageResult {
  if (received === null) {
    if (input?.dataFromInteractiveUi !== undefined && state.pending !== undefined) {
      const { identifier, msId, challenge } = state.pending;
      state.pending = undefined;
      state.password = new TextDecoder().decode(input.dataFromInteractiveUi);
      return respond(crypto, state, identifier, msId, challenge, state.password);
    }
    if (input?.successPacketReceived === true && state.phase === 'success-acked') {
      return peerDone(state, 0);
    }
    return { action: EapAction.NoAction };
  }
  if (received.code === EapCode.Success) {
    // Mutual authentication: only after the server proved it knows the password (COND_SUCC).
    return peerDone(
      state,
      state.phase === 'success-acked' ? 0 : EapResultCode.ERROR_AUTHENTICATION_FAILURE,
    );
  }
  if (received.code === EapCode.Failure) {
    return peerDone(
      state,
      state.phase === 'failure-acked'
        ? state.failureCode
        : EapResultCode.ERROR_AUTHENTICATION_FAILURE,
    );
  }
  if (received.code !== EapCode.Request || received.type !== EapType.MsChapV2) {
    return invalidPacket('not an EAP-MSCHAPv2 Request');
  }
  const parsed = parseMschapV2(received.typeData);
  if (parsed === undefined) return invalidPacket('malformed MSCHAPv2 header');
  const text = decodeMschapText(parsed.body);
  switch (parsed.opCode) {
    case MschapV2OpCode.Challenge: {
      if (state.phase !== 'idle') return invalidPacket('a second Challenge');
      const body = parseValueBody(parsed.body);
      if (body === undefined || body.value.length !== MSCHAPV2_CHALLENGE_LENGTH) {
        return invalidPacket('malformed MSCHAPv2 Challenge');
      }
      if (state.password === undefined) {
        // Deliberate copy: the received packet's bytes belong to the framework.
        state.pending = {
          identifier: received.identifier,
          msId: parsed.id,
          challenge: body.value.slice(),
        };
        return {
          action: EapAction.NoAction,
          invokeInteractiveUi: { contextData: encoder.encode(`password for ${state.identity}`) },
        };
      }
      return respond(crypto, state, received.identifier, parsed.id, body.value, state.password);
    }
    case MschapV2OpCode.Success: {
      if (state.phase !== 'responded') return invalidPacket('Success Request before a Response');
      const success = parseSuccessMessage(text);
      const expected = state.expectedAuthenticatorResponse ?? '';
      if (
        success === undefined ||
        !constantTimeEqual(encoder.encode(success.authenticatorResponse), encoder.encode(expected))
      ) {
        return peerDone(state, EapResultCode.ERROR_AUTHENTICATION_FAILURE);
      }
      state.phase = 'success-acked';
      return ack(received.identifier, MschapV2OpCode.Success);
    }
    case MschapV2OpCode.Failure: {
      if (state.phase !== 'responded') return invalidPacket('Failure Request before a Response');
      const failure = parseFailureMessage(text);
      state.failureCode = failure?.error ?? EapResultCode.ERROR_AUTHENTICATION_FAILURE;
      state.phase = 'failure-acked';
      return ack(received.identifier, MschapV2OpCode.Failure);
    }
    default:
      return invalidPacket(`unsupported MSCHAPv2 OpCode ${parsed.opCode}`);
  }
}
