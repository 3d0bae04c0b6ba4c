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
import {
  EapAction,
  EapMethodFlag,
  invalidPacket,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
} from '../contract.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  ntPasswordHash,
} from '../crypto/index.js';
import { constantTimeEqual } from '../local-provider.js';
import { EapResultCode } from '../result-codes.js';
import { ByteWriter, SavedStateReader, writeRequest, writeShortBytes } from './saved-state.js';
import {
  MSCHAPV2_CHALLENGE_LENGTH,
  MschapV2OpCode,
  formatFailureMessage,
  messageTypeData,
  parseFailureMessage,
  parseMschapV2,
  parseResponseValue,
  parseSuccessMessage,
  parseValueBody,
  responseValue,
  valueTypeData,
} from './mschapv2-format.js';

export interface MschapV2MethodOptions {
  readonly crypto: Crypto;
  /** The Name the authenticator puts in its Challenge; default "netrx". */
  readonly serverName?: string;
  /** The M= text of the Success Request; default "Authentication succeeded". */
  readonly successMessage?: string;
  /** The M= text of the Failure Request; default "Authentication failed". */
  readonly failureMessage?: string;
}

interface AuthenticatorState {
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

interface PeerState {
  readonly side: 'peer';
  readonly identity: string;
  password: string | undefined;
  phase: 'idle' | 'responded' | 'success-acked' | 'failure-acked' | 'done';
  pending: { identifier: number; msId: number; challenge: Uint8Array } | undefined;
  expectedAuthenticatorResponse: string | undefined;
  keys: { sendKey: Uint8Array; recvKey: Uint8Array } | undefined;
  failureCode: number;
}

type MschapV2State = AuthenticatorState | PeerState;

/** The authenticator phases that await a Response, so can be saved (their index is the saved octet). */
const SAVED_PHASES = ['challenged', 'success-sent', 'failure-sent'] as const;
/** First octet of MSCHAPv2's saved authenticator state. */
const MSCHAPV2_SAVED_FORMAT = 1;

const encoder = new TextEncoder();
const mschapLatin1 = new TextDecoder('latin1');

/** The user name MSCHAPv2 hashes: the identity without a `DOMAIN\` prefix (RFC 2759 §8.2). */
export function mschapUserName(identity: string): string {
  const at = identity.lastIndexOf('\\');
  return at < 0 ? identity : identity.slice(at + 1);
}

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

export function createMschapV2Method(options: MschapV2MethodOptions): EapMethod<MschapV2State> {
  const { crypto } = options;
  const serverName = options.serverName ?? 'netrx';
  const successText = options.successMessage ?? 'Authentication succeeded';
  const failureText = options.failureMessage ?? 'Authentication failed';

  function request(state: AuthenticatorState, typeData: Uint8Array): EapMakeMessageResult {
    state.lastRequest = {
      code: EapCode.Request,
      identifier: state.identifier,
      type: EapType.MsChapV2,
      typeData,
    };
    return { action: EapAction.SendWithTimeout, packet: state.lastRequest };
  }

  function sendFailureRequest(state: AuthenticatorState, code: number): EapMakeMessageResult {
    state.phase = 'failure-sent';
    state.failureCode = FAILURE_ERRORS.has(code)
      ? code
      : EapResultCode.ERROR_AUTHENTICATION_FAILURE;
    state.identifier = (state.identifier + 1) & 0xff;
    const text = formatFailureMessage({
      error: state.failureCode,
      retry: false,
      challenge: crypto.randomBytes(16),
      version: 3,
      message: failureText,
    });
    return request(state, messageTypeData(MschapV2OpCode.Failure, state.msId, text));
  }

  function completed(state: AuthenticatorState, input: EapInput): EapMakeMessageResult {
    if (state.phase !== 'authenticating') return invalidPacket('no authentication pending');
    const code = input.authResultCode ?? EapResultCode.ERROR_AUTH_INTERNAL;
    if (code !== 0) return sendFailureRequest(state, code);
    const success = vendorValue(input.userAttributes, MicrosoftAttributeType.MsChap2Success);
    const sendKey = vendorValue(input.userAttributes, MicrosoftAttributeType.MsMppeSendKey);
    const recvKey = vendorValue(input.userAttributes, MicrosoftAttributeType.MsMppeRecvKey);
    // MS-CHAP2-Success is the Ident octet then "S=" and 40 hex digits (RFC 2548 §2.3.3).
    const authenticatorResponse =
      success === undefined
        ? undefined
        : parseSuccessMessage(mschapLatin1.decode(success.subarray(1)));
    if (authenticatorResponse === undefined || sendKey === undefined || recvKey === undefined) {
      // A provider that accepts without proving it knows the password cannot authenticate us to the peer.
      return sendFailureRequest(state, EapResultCode.ERROR_AUTH_INTERNAL);
    }
    state.keys = { sendKey: sendKey.slice(), recvKey: recvKey.slice() };
    state.phase = 'success-sent';
    state.identifier = (state.identifier + 1) & 0xff;
    return request(
      state,
      messageTypeData(
        MschapV2OpCode.Success,
        state.msId,
        `${authenticatorResponse.authenticatorResponse} M=${successText}`,
      ),
    );
  }

  function authenticatorMessage(
    state: AuthenticatorState,
    received: EapPacket | null,
    input: EapInput | undefined,
  ): EapMakeMessageResult {
    if (input?.authenticationComplete === true) return completed(state, input);
    if (received === null) {
      if (state.phase === 'start') {
        state.challenge = crypto.randomBytes(MSCHAPV2_CHALLENGE_LENGTH);
        state.phase = 'challenged';
        return request(
          state,
          valueTypeData(MschapV2OpCode.Challenge, state.msId, state.challenge, serverName),
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
          return sendFailureRequest(state, EapResultCode.ERROR_AUTHENTICATION_FAILURE);
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

  function respond(
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

  function peerMessage(
    state: PeerState,
    received: EapPacket | null,
    input: EapInput | undefined,
  ): EapMakeMessageResult {
    if (received === null) {
      if (input?.dataFromInteractiveUi !== undefined && state.pending !== undefined) {
        const { identifier, msId, challenge } = state.pending;
        state.pending = undefined;
        state.password = new TextDecoder().decode(input.dataFromInteractiveUi);
        return respond(state, identifier, msId, challenge, state.password);
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
    const text = mschapLatin1.decode(parsed.body);
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
        return respond(state, received.identifier, parsed.id, body.value, state.password);
      }
      case MschapV2OpCode.Success: {
        if (state.phase !== 'responded') return invalidPacket('Success Request before a Response');
        const success = parseSuccessMessage(text);
        const expected = state.expectedAuthenticatorResponse ?? '';
        if (
          success === undefined ||
          !constantTimeEqual(
            encoder.encode(success.authenticatorResponse),
            encoder.encode(expected),
          )
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
      if (input.authenticator) {
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
    },
    saveState(state: MschapV2State): Uint8Array | undefined {
      if (state.side !== 'authenticator' || state.lastRequest === undefined) return undefined;
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
    },
    restoreState(saved: Uint8Array, input: EapInput): MschapV2State | undefined {
      if (!input.authenticator) return undefined;
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
    },
    end(state: MschapV2State): void {
      state.keys?.sendKey.fill(0);
      state.keys?.recvKey.fill(0);
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
