/**
 * RFC 4137 SELECT_ACTION as a pure decision: what the authenticator does
 * with one step of its method (send a new Request, send the result and end,
 * end quietly, wait, discard, or fail because the method broke a rule of
 * RFC 3748). `authenticator.ts` applies the decision to its session.
 */
import { EapCode, isEapMessage, type EapMessage, type EapPacket } from '../wire/eap.js';
import { EapResultCode } from './result-codes.js';
import { EapAction, type EapOutput } from './contract.js';
import type { RunnerStep } from './method-runner.js';
import type { SnapshotOutstanding } from './authenticator-snapshot.js';
import type { EapOutcome } from './session.js';
import { checkNewRequest, checkResultPacket } from './authenticator-checks.js';

export type ActionDecision =
  | {
      readonly kind: 'fail';
      readonly resultCode: number;
      readonly reason: string;
      readonly outcome: EapOutcome;
    }
  | { readonly kind: 'discard'; readonly reason: string }
  | { readonly kind: 'idle' }
  /** The method produced an output without a packet to send: nothing happens. */
  | { readonly kind: 'nothing' }
  | {
      readonly kind: 'request';
      readonly outstanding: SnapshotOutstanding;
      readonly timed: boolean;
      readonly bytes: Uint8Array;
    }
  /** The method is done; `bytes` is its Success or Failure, if it sends one. */
  | { readonly kind: 'done'; readonly output: EapOutput; readonly bytes: Uint8Array | undefined };

export interface ActionContext {
  readonly requestOutstanding: boolean;
  readonly lastRequestId: number | undefined;
  readonly lastResponseId: number | undefined;
  /** Requests the session sent so far. */
  readonly rounds: number;
  readonly maxRounds: number;
}

const internal = (reason: string): ActionDecision => ({
  kind: 'fail',
  resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
  reason,
  outcome: 'error',
});

export function selectAction(step: RunnerStep, context: ActionContext): ActionDecision {
  switch (step.kind) {
    case 'discard':
      // Nothing outstanding means nothing would ever call the method again.
      return context.requestOutstanding
        ? { kind: 'discard', reason: `method:${step.reason}` }
        : internal(`method discarded with no Request outstanding: ${step.reason}`);
    case 'end':
      return { kind: 'fail', resultCode: step.resultCode, reason: step.reason, outcome: 'error' };
    case 'pending':
      return { kind: 'idle' };
    case 'output':
      break;
  }
  const { output, packet, bytes } = step;
  switch (output.action) {
    case EapAction.Send:
    case EapAction.SendWithTimeout:
    case EapAction.SendWithTimeoutInteractive: {
      if (packet === undefined || bytes === undefined) return { kind: 'nothing' };
      const broken = checkNewRequest(packet, output.action, context.lastRequestId);
      if (broken !== undefined) return internal(broken);
      if (context.rounds + 1 > context.maxRounds) {
        return {
          kind: 'fail',
          resultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
          reason: `more than ${context.maxRounds} rounds`,
          outcome: 'failure',
        };
      }
      const timed = output.action !== EapAction.Send;
      const interactive = output.action === EapAction.SendWithTimeoutInteractive;
      return {
        kind: 'request',
        outstanding: { kind: 'method', identifier: packet.identifier, timed, interactive },
        timed,
        bytes,
      };
    }
    case EapAction.SendAndDone: {
      if (packet === undefined || bytes === undefined) return { kind: 'nothing' };
      const broken = checkResultPacket(packet, output, context.lastResponseId);
      return broken === undefined ? { kind: 'done', output, bytes } : internal(broken);
    }
    case EapAction.Done:
      return { kind: 'done', output, bytes: undefined };
    case EapAction.Authenticate:
    case EapAction.NoAction:
    case EapAction.IndicateTlv:
    case EapAction.IndicateIdentity:
      return { kind: 'idle' };
  }
}

export type Admission =
  | { readonly ok: true; readonly packet: EapMessage; readonly outstanding: SnapshotOutstanding }
  | { readonly ok: false; readonly reason: string };

/** Whether a parsed packet answers the outstanding Request (RFC 3748 §4.1: a Response with its Identifier). */
export function admitResponse(
  packet: EapPacket,
  outstanding: SnapshotOutstanding | undefined,
  busy: boolean,
): Admission {
  if (!isEapMessage(packet) || packet.code !== EapCode.Response) {
    return { ok: false, reason: 'not-a-response' };
  }
  if (outstanding === undefined) {
    return { ok: false, reason: busy ? 'busy' : 'no-request-outstanding' };
  }
  if (packet.identifier !== outstanding.identifier)
    return { ok: false, reason: 'wrong-identifier' };
  return { ok: true, packet, outstanding };
}
