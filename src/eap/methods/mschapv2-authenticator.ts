/**
 * EAP-MSCHAPv2's authenticator side (mschapv2.ts): Challenge, the peer's
 * Response handed to the provider, then a Success Request (`S=`, the keys
 * kept) or a Failure Request (`E=`), and EAP-Success or EAP-Failure once
 * the peer acknowledges. Its state between Requests can be saved (the
 * cluster's bucket, sealed by the caller: it holds the MPPE keys).
 */
import type { Crypto } from '../../runtime/index.js';
import { EapCode, EapType, type EapMessage, type EapPacket } from '../../wire/eap.js';
import {
  AuthAttributeType,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  findAttribute,
  mppeKeyAttributes,
  userNameAttribute,
  type AuthAttribute,
} from '../attributes.js';
import { EapAction, invalidPacket, type EapInput, type EapMakeMessageResult } from '../contract.js';
import { EapResultCode } from '../result-codes.js';
import { ByteWriter, SavedStateReader, writeRequest, writeShortBytes } from './saved-state.js';
import {
  MSCHAPV2_CHALLENGE_LENGTH,
  MschapV2OpCode,
  formatFailureMessage,
  messageTypeData,
  decodeMschapText,
  mschapUserName,
  parseMschapV2,
  parseResponseValue,
  parseSuccessMessage,
  parseValueBody,
  valueTypeData,
} from './mschapv2-format.js';

/** The method's options as the authenticator uses them (defaults applied). */
export interface AuthenticatorSettings {
  readonly crypto: Crypto;
  readonly serverName: string;
  readonly successText: string;
  readonly failureText: string;
}

export interface AuthenticatorState {
  readonly side: 'authenticator';
  phase: 'start' | 'challenged' | 'authenticating' | 'success-sent' | 'failure-sent' | 'done';
  readonly identity: string | undefined;
  identifier: number;
  readonly msId: number;
  challenge: Uint8Array;
  lastRequest: EapMessage | undefined;
  failureCode: number;
  keys: { sendKey: Uint8Array; recvKey: Uint8Array } | undefined;
}

/** The authenticator phases that await a Response, so can be saved (their index is the saved octet). */
const SAVED_PHASES = ['challenged', 'success-sent', 'failure-sent'] as const;
/** First octet of MSCHAPv2's saved authenticator state. */
const MSCHAPV2_SAVED_FORMAT = 1;

/** The raserror numbers a Failure Request may carry as E= (RFC 2759 §6); others become 691. */
const FAILURE_ERRORS = new Set<number>([
  EapResultCode.ERROR_RESTRICTED_LOGON_HOURS,
  EapResultCode.ERROR_ACCT_DISABLED,
  EapResultCode.ERROR_PASSWD_EXPIRED,
  EapResultCode.ERROR_NO_DIALIN_PERMISSION,
  EapResultCode.ERROR_AUTHENTICATION_FAILURE,
]);

function vendorValue(
  attributes: readonly AuthAttribute[] | undefined,
  vendorType: number,
): Uint8Array | undefined {
  return findAttribute(attributes, AuthAttributeType.VendorSpecific, {
    vendorId: MICROSOFT_VENDOR_ID,
    vendorType,
  })?.value;
}

/** A new authenticator conversation (`begin`). */
export function beginAuthenticator(input: EapInput): AuthenticatorState {
  const identifier = (input.initialId ?? 0) & 0xff;
  return {
    side: 'authenticator',
    phase: 'start',
    identity: input.identity,
    identifier,
    msId: identifier,
    challenge: new Uint8Array(0),
    lastRequest: undefined,
    failureCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
    keys: undefined,
  };
}

function request(state: AuthenticatorState, typeData: Uint8Array): EapMakeMessageResult {
  state.lastRequest = {
    code: EapCode.Request,
    identifier: state.identifier,
    type: EapType.MsChapV2,
    typeData,
  };
  return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
}

function sendFailureRequest(
  settings: AuthenticatorSettings,
  state: AuthenticatorState,
  code: number,
): EapMakeMessageResult {
  state.phase = 'failure-sent';
  state.failureCode = FAILURE_ERRORS.has(code) ? code : EapResultCode.ERROR_AUTHENTICATION_FAILURE;
  state.identifier = (state.identifier + 1) & 0xff;
  const text = formatFailureMessage({
    error: state.failureCode,
    retry: false,
    challenge: settings.crypto.randomBytes(16),
    version: 3,
    message: settings.failureText,
  });
  return request(state, messageTypeData(MschapV2OpCode.Failure, state.msId, text));
}

function completed(
  settings: AuthenticatorSettings,
  state: AuthenticatorState,
  input: EapInput,
): EapMakeMessageResult {
  if (state.phase !== 'authenticating') return invalidPacket('no authentication pending');
  const code = input.authResultCode ?? EapResultCode.ERROR_AUTH_INTERNAL;
  if (code !== 0) return sendFailureRequest(settings, state, code);
  const success = vendorValue(input.userAttributes, MicrosoftAttributeType.MsChap2Success);
  const sendKey = vendorValue(input.userAttributes, MicrosoftAttributeType.MsMppeSendKey);
  const recvKey = vendorValue(input.userAttributes, MicrosoftAttributeType.MsMppeRecvKey);
  // MS-CHAP2-Success is the Ident octet then "S=" and 40 hex digits (RFC 2548 §2.3.3).
  const authenticatorResponse =
    success === undefined ? undefined : parseSuccessMessage(decodeMschapText(success.subarray(1)));
  if (authenticatorResponse === undefined || sendKey === undefined || recvKey === undefined) {
    // A provider that accepts without proving it knows the password cannot authenticate us to the peer.
    return sendFailureRequest(settings, state, EapResultCode.ERROR_AUTH_INTERNAL);
  }
  state.keys = { sendKey: sendKey.slice(), recvKey: recvKey.slice() };
  state.phase = 'success-sent';
  state.identifier = (state.identifier + 1) & 0xff;
  return request(
    state,
    messageTypeData(
      MschapV2OpCode.Success,
      state.msId,
      `${authenticatorResponse.authenticatorResponse} M=${settings.successText}`,
    ),
  );
}

/** One call of `makeMessage` on the authenticator side. */
export function authenticatorMessage(
  settings: AuthenticatorSettings,
  state: AuthenticatorState,
  received: EapPacket | null,
  input: EapInput | undefined,
): EapMakeMessageResult {
  if (input?.authenticationComplete === true) return completed(settings, state, input);
  if (received === null) {
    if (state.phase === 'start') {
      state.challenge = settings.crypto.randomBytes(MSCHAPV2_CHALLENGE_LENGTH);
      state.phase = 'challenged';
      return request(
        state,
        valueTypeData(MschapV2OpCode.Challenge, state.msId, state.challenge, settings.serverName),
      );
    }
    // A timeout: resend the last Request, same Identifier (RFC 3748 §4.3).
    if (
      state.lastRequest !== undefined &&
      state.phase !== 'authenticating' &&
      state.phase !== 'done'
    ) {
      return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
    }
    return { action: EapAction.NoAction };
  }
  if (received.code !== EapCode.Response || received.type !== EapType.MsChapV2) {
    return invalidPacket('not an EAP-MSCHAPv2 Response');
  }
  if (received.identifier !== state.identifier) return invalidPacket('wrong Identifier');
  const parsed = parseMschapV2(received.typeData);
  if (parsed === undefined) return invalidPacket('malformed MSCHAPv2 header');
  switch (state.phase) {
    case 'challenged': {
      if (parsed.opCode !== MschapV2OpCode.Response) return invalidPacket('expected a Response');
      if (parsed.id !== state.msId) return invalidPacket('wrong MS-CHAPv2-ID');
      const body = parseValueBody(parsed.body);
      const value = body === undefined ? undefined : parseResponseValue(body.value);
      if (body === undefined || value === undefined) {
        return invalidPacket('malformed MSCHAPv2 Response value');
      }
      state.phase = 'authenticating';
      if (mschapUserName(body.name) !== mschapUserName(state.identity ?? '')) {
        // hostapd's "Mismatch in user name": the hash would be over another name.
        return sendFailureRequest(settings, state, EapResultCode.ERROR_AUTHENTICATION_FAILURE);
      }
      const chap2Response = new Uint8Array(50);
      chap2Response[0] = state.msId;
      chap2Response[1] = value.flags;
      chap2Response.set(value.peerChallenge, 2);
      chap2Response.set(value.ntResponse, 26);
      return {
        action: EapAction.Authenticate,
        userAttributes: [
          userNameAttribute(state.identity ?? ''),
          {
            type: AuthAttributeType.VendorSpecific,
            vendorId: MICROSOFT_VENDOR_ID,
            vendorType: MicrosoftAttributeType.MsChapChallenge,
            value: state.challenge,
          },
          {
            type: AuthAttributeType.VendorSpecific,
            vendorId: MICROSOFT_VENDOR_ID,
            vendorType: MicrosoftAttributeType.MsChap2Response,
            value: chap2Response,
          },
        ],
      };
    }
    case 'success-sent':
      if (parsed.opCode !== MschapV2OpCode.Success)
        return invalidPacket('expected a Success Response');
      state.phase = 'done';
      return {
        action: EapAction.SendAndDone,
        packet: { code: EapCode.Success, identifier: received.identifier },
        authResultCode: 0,
        userAttributes: mppeKeyAttributes(state.keys as NonNullable<AuthenticatorState['keys']>),
      };
    case 'failure-sent':
      if (parsed.opCode !== MschapV2OpCode.Failure)
        return invalidPacket('expected a Failure Response');
      state.phase = 'done';
      return {
        action: EapAction.SendAndDone,
        packet: { code: EapCode.Failure, identifier: received.identifier },
        authResultCode: state.failureCode,
      };
    default:
      return invalidPacket(`no Response expected in phase ${state.phase}`);
  }
}

/** The state between Requests (undefined in any other phase): key material included, for the caller to seal. */
export function saveAuthenticatorState(state: AuthenticatorState): Uint8Array | undefined {
  if (state.lastRequest === undefined) return undefined;
  const phase = (SAVED_PHASES as readonly string[]).indexOf(state.phase);
  if (phase < 0) return undefined;
  // Key material rides along after Success was sent: the caller seals it.
  const writer = ByteWriter.growable(160);
  writer.u8(MSCHAPV2_SAVED_FORMAT).u8(phase).u8(state.identifier).u8(state.msId);
  writer.u32(state.failureCode);
  writeShortBytes(writer, state.challenge);
  writeShortBytes(writer, state.keys?.sendKey ?? new Uint8Array(0));
  writeShortBytes(writer, state.keys?.recvKey ?? new Uint8Array(0));
  writeRequest(writer, state.lastRequest);
  return writer.finish();
}

/** An authenticator saved by saveAuthenticatorState, or undefined when it is not one. */
export function restoreAuthenticatorState(
  saved: Uint8Array,
  input: EapInput,
): AuthenticatorState | undefined {
  const reader = new SavedStateReader(saved);
  const format = reader.u8();
  const phase = SAVED_PHASES[reader.u8()];
  const identifier = reader.u8();
  const msId = reader.u8();
  const failureCode = reader.u32();
  const challenge = reader.shortBytes();
  const sendKey = reader.shortBytes();
  const recvKey = reader.shortBytes();
  const lastRequest = reader.request();
  if (
    !reader.complete ||
    format !== MSCHAPV2_SAVED_FORMAT ||
    phase === undefined ||
    challenge.length !== MSCHAPV2_CHALLENGE_LENGTH ||
    lastRequest.type !== EapType.MsChapV2 ||
    lastRequest.identifier !== identifier ||
    (phase === 'success-sent') !== (sendKey.length > 0 && recvKey.length > 0)
  ) {
    return undefined;
  }
  return {
    side: 'authenticator',
    phase,
    identity: input.identity,
    identifier,
    msId,
    challenge,
    lastRequest,
    failureCode,
    keys: phase === 'success-sent' ? { sendKey, recvKey } : undefined,
  };
}
