/**
 * The rules an authenticator holds a method's packets to before they leave
 * (RFC 3748 §4.1, §4.2), and the session result a finished method yields.
 * Pure: each answers from its arguments, so the state machine in
 * `authenticator.ts` keeps only the transitions.
 */
import { EapCode, type EapPacket } from '../wire/eap.js';
import { AuthAttributeType, findAttribute, type AuthAttribute } from './attributes.js';
import type { EapMethod, EapOutput } from './contract.js';
import { mergeAttributes, type EapOutcome, type EapSessionResult } from './session.js';

const decoder = new TextDecoder();

/** Why a new method Request breaks RFC 3748 §4.1, or undefined if it is fine. */
export function checkNewRequest(
  packet: EapPacket,
  action: string,
  lastRequestId: number | undefined,
): string | undefined {
  if (packet.code !== EapCode.Request) {
    return `method used ${action} for code ${packet.code}: Success/Failure go with send-and-done`;
  }
  if (packet.identifier === lastRequestId) {
    return `method reused Identifier ${packet.identifier} for a new Request (RFC 3748 §4.1)`;
  }
  return undefined;
}

/** Why a send-and-done packet breaks RFC 3748 §4.2, or undefined if it is fine. */
export function checkResultPacket(
  packet: EapPacket,
  output: EapOutput,
  lastResponseId: number | undefined,
): string | undefined {
  if (packet.code === EapCode.Request || packet.code === EapCode.Response) {
    return 'send-and-done on the authenticator sends Success or Failure';
  }
  if (packet.identifier !== lastResponseId) {
    return `Success/Failure must reuse the last Response's Identifier ${String(lastResponseId)}, not ${packet.identifier}`;
  }
  const success = (output.authResultCode ?? 0) === 0;
  if (success !== (packet.code === EapCode.Success)) {
    return `result code ${output.authResultCode ?? 0} contradicts a ${packet.code === EapCode.Success ? 'Success' : 'Failure'} packet`;
  }
  return undefined;
}

export interface MethodConclusion {
  readonly outcome: EapOutcome;
  readonly resultCode: number;
  readonly reason: string;
  readonly attributes: readonly AuthAttribute[];
  /** The inner identity a tunnel method named, if it did. */
  readonly identity: string | undefined;
}

/** What a method's final output means for the session. */
export function concludeMethod(
  output: EapOutput,
  providerAttributes: readonly AuthAttribute[],
): MethodConclusion {
  const resultCode = output.authResultCode ?? 0;
  const success = resultCode === 0;
  // A tunnel method (PEAP, TTLS) names the user it authenticated inside with a
  // User-Name: that is the session's identity, not the (maybe anonymous) outer one.
  const named = success
    ? findAttribute(output.userAttributes, AuthAttributeType.UserName)
    : undefined;
  return {
    outcome: success ? 'success' : 'failure',
    resultCode,
    reason: output.reason ?? (success ? 'method succeeded' : `method failed with ${resultCode}`),
    attributes: success ? mergeAttributes(providerAttributes, output.userAttributes ?? []) : [],
    identity: named === undefined ? undefined : decoder.decode(named.value),
  };
}

export interface SessionEnding {
  readonly outcome: EapOutcome;
  readonly resultCode: number;
  readonly reason: string;
  readonly attributes?: readonly AuthAttribute[];
  /** The inner identity a tunnel method named, if it did. */
  readonly identity?: string | undefined;
}

/** The session's result; the outer identity is kept beside an inner one that differs. */
export function sessionResult(
  ending: SessionEnding,
  method: EapMethod | undefined,
  outerIdentity: string | undefined,
): EapSessionResult {
  const { identity } = ending;
  return {
    outcome: ending.outcome,
    resultCode: ending.resultCode,
    reason: ending.reason,
    method: method?.info.name,
    identity: identity ?? outerIdentity,
    ...(identity === undefined || outerIdentity === identity ? {} : { outerIdentity }),
    attributes: ending.attributes ?? [],
  };
}
