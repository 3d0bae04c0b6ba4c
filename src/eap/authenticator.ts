/**
 * The standalone EAP authenticator (RFC 4137 §5, RFC 3748 §4): asks for the
 * identity, proposes methods in policy order, handles Nak and Expanded Nak
 * by proposing the next acceptable method, and drives the selected method
 * through `makeMessage`. It alone retransmits (RFC 3748 §4.3): a Request sent
 * with `send-with-timeout` is resent with the same Identifier when its timer
 * expires, the timeout doubling each time up to a cap, until the retries run
 * out (the session then fails with 638, sending nothing: RFC 4137
 * TIMEOUT_FAILURE). The method resends its own Requests (it is called with a
 * null packet); the framework resends its own Identity Requests. Responses
 * whose Identifier is not the outstanding Request's are discarded. Time
 * comes from the injected clock.
 */
import { EapCode, EapType, emitEap, parseEap } from '../wire/eap.js';
import type { AuthAttribute } from './attributes.js';
import { methodMatches, methodSupports, type EapMethod, type EapOutput } from './contract.js';
import type { MethodRunner, RunnerStep } from './method-runner.js';
import { EapResultCode } from './result-codes.js';
import { SessionTrace, type EapOutcome, type EapSessionResult } from './session.js';
import {
  resolveAuthenticatorOptions,
  type EapAuthenticatorOptions,
  type EapAuthenticatorState,
  type EapAuthenticatorStats,
} from './authenticator-options.js';
import { admitResponse, selectAction } from './authenticator-actions.js';
import { concludeMethod, sessionResult } from './authenticator-checks.js';
import { RetransmitTimer } from './authenticator-timer.js';
import { restoreParts, takeSnapshot } from './authenticator-transfer.js';
import { nakList, type Desired } from './nak.js';
import {
  authenticatorRunner,
  beginMethod,
  identityRequest,
  nextMethod,
  resentRequest,
} from './authenticator-methods.js';
import type { SnapshotOutstanding } from './authenticator-snapshot.js';

const decoder = new TextDecoder();

export class EapAuthenticator {
  private readonly options: EapAuthenticatorOptions;
  private readonly maxRounds: number;
  private readonly trace: SessionTrace;
  private readonly sendBuffer: Uint8Array;
  private currentState: EapAuthenticatorState = 'DISABLED';
  private outstanding: SnapshotOutstanding | undefined;
  /** The last Request's Identifier (a new Request must differ: RFC 3748 §4.1). */
  private lastRequestId: number | undefined;
  /** The last valid Response's Identifier: Success and Failure reuse it (RFC 3748 §4.2). */
  private lastResponseId: number | undefined;
  private readonly timer: RetransmitTimer;
  private rounds = 0;
  private peerIdentity: string | undefined;
  private selected: EapMethod<unknown> | undefined;
  private runner: MethodRunner<unknown> | undefined;
  private readonly tried = new Set<EapMethod>();
  private providerAttributes: readonly AuthAttribute[] = [];
  private outcome: EapSessionResult | undefined;
  private counters = { received: 0, sent: 0, retransmissions: 0, naksReceived: 0 };

  constructor(options: EapAuthenticatorOptions) {
    const resolved = resolveAuthenticatorOptions(options, (method) =>
      methodSupports(method.info, 'authenticator'),
    );
    this.options = options;
    this.maxRounds = resolved.maxRounds;
    this.sendBuffer = resolved.sendBuffer;
    this.timer = new RetransmitTimer(options.clock, resolved.retransmit, () => this.onTimeout());
    this.trace = new SessionTrace('authenticator', options.trace, options.sessionId);
  }

  get state(): EapAuthenticatorState {
    return this.currentState;
  }

  get sessionId(): number {
    return this.trace.session;
  }

  get result(): EapSessionResult | undefined {
    return this.outcome;
  }

  /** The identity the peer gave, once it has. */
  get identity(): string | undefined {
    return this.peerIdentity;
  }

  /** The Identifier of the Request awaiting a Response, if any. */
  get outstandingIdentifier(): number | undefined {
    return this.outstanding?.identifier;
  }

  /** How many received packets were discarded so far (cheap: no stats object). */
  get droppedTotal(): number {
    return this.trace.droppedTotal;
  }

  stats(): EapAuthenticatorStats {
    return {
      ...this.counters,
      droppedTotal: this.trace.droppedTotal,
      dropped: this.trace.dropCounts(),
    };
  }

  /** Sends the Request/Identity and arms its timer. Once. */
  start(): void {
    if (this.currentState !== 'DISABLED') {
      throw new TypeError('EapAuthenticator.start: already started');
    }
    this.setState('INITIALIZE');
    const identifier = this.options.initialIdentifier ?? 0;
    const request = identityRequest(this.sendBuffer, identifier);
    this.sendRequest({ kind: 'identity', identifier }, true, request);
  }

  /** One EAP packet from the peer. Never throws on bad bytes: they are dropped, counted and traced. */
  receive(bytes: Uint8Array): void {
    this.counters.received++;
    if (this.outcome !== undefined || this.currentState === 'DISABLED') {
      this.trace.drop(this.outcome !== undefined ? 'session-ended' : 'not-started', bytes[1]);
      return;
    }
    const parsed = parseEap(bytes);
    if (!parsed.ok) {
      this.trace.drop(`malformed:${parsed.failure.code}`, bytes[1]);
      return;
    }
    this.setState('RECEIVED');
    const admitted = admitResponse(
      parsed.value,
      this.outstanding,
      this.runner?.waitingFor !== undefined,
    );
    if (!admitted.ok) {
      this.discard(admitted.reason, parsed.value.identifier);
      return;
    }
    const { packet, outstanding } = admitted;
    this.setState('INTEGRITY_CHECK');
    if (outstanding.kind === 'identity') {
      if (packet.type !== EapType.Identity) {
        this.discard('unexpected-type', packet.identifier);
        return;
      }
      this.responseAccepted(packet.identifier);
      this.peerIdentity = decoder.decode(packet.typeData);
      this.proposeMethod(undefined);
      return;
    }
    const nak = nakList(packet);
    if (nak !== undefined) {
      this.counters.naksReceived++;
      if (!nak.ok) {
        this.discard(`malformed:${nak.code}`, packet.identifier);
        return;
      }
      this.setState('NAK');
      this.responseAccepted(packet.identifier);
      this.runner?.end();
      this.runner = undefined;
      this.proposeMethod(nak.desired);
      return;
    }
    const selected = this.selected as EapMethod<unknown>;
    if (!methodMatches(selected.info, packet.type, packet.expanded)) {
      this.discard('unexpected-type', packet.identifier);
      return;
    }
    this.setState('METHOD_RESPONSE');
    const step = (this.runner as MethodRunner<unknown>).call(packet);
    if (step.kind === 'discard') {
      // The method refused it (722): the Request is still outstanding, its timer still runs.
      this.discard(`method:${step.reason}`, packet.identifier);
      return;
    }
    this.responseAccepted(packet.identifier);
    this.act(step);
  }

  /** Ends the session from outside (the lower layer went away). Sends nothing. */
  abort(reason = 'aborted'): void {
    this.finish('error', EapResultCode.ERROR_AUTH_INTERNAL, reason);
  }

  private responseAccepted(identifier: number): void {
    this.lastResponseId = identifier;
    this.outstanding = undefined;
    this.timer.cancel();
  }

  /** RFC 4137 PROPOSE_METHOD: the next method in policy order the peer accepts. */
  private proposeMethod(desired: readonly Desired[] | undefined): void {
    this.setState('PROPOSE_METHOD');
    const method = nextMethod(this.options.methods, this.tried, desired);
    if (method === undefined) {
      this.fail(
        EapResultCode.ERROR_AUTHENTICATION_FAILURE,
        desired === undefined ? 'no method configured' : 'no method the peer accepts',
      );
      return;
    }
    this.tried.add(method);
    const initialId = ((this.lastRequestId ?? 0) + 1) & 0xff;
    const begun = beginMethod(method, this.peerIdentity, initialId, this.options.flags);
    if (!begun.ok) {
      this.fail(begun.resultCode, begun.reason);
      return;
    }
    this.startRunner(method, begun.workState);
    this.setState('METHOD_REQUEST');
    this.act((this.runner as MethodRunner<unknown>).call(null));
  }

  private startRunner(method: EapMethod, workState: unknown): void {
    this.selected = method;
    this.runner = authenticatorRunner(method, workState, this.sendBuffer, this.options, {
      identity: () => this.peerIdentity,
      providerAttributes: (attributes) => (this.providerAttributes = attributes),
      observe: (result) => this.trace.methodResult(method.info.name, result),
      onLateStep: (step) => this.act(step),
    });
  }

  /**
   * The session as bytes while it awaits the peer's Response and its method
   * can save its state (`EapMethod.saveState`), so another process can take
   * the next round (`EapAuthenticator.restore`); undefined otherwise (a
   * provider call or TLS work in progress, a method that cannot save).
   */
  snapshot(): Uint8Array | undefined {
    return takeSnapshot({
      outstanding: this.outstanding,
      ended: this.outcome !== undefined,
      busy: this.runner?.waitingFor !== undefined,
      tried: this.tried,
      selected: this.selected,
      workState: this.runner?.workState,
      lastRequestId: this.lastRequestId,
      lastResponseId: this.lastResponseId,
      rounds: this.rounds,
      retransmissions: this.timer.retransmissions,
      identity: this.peerIdentity,
      providerAttributes: this.providerAttributes,
    });
  }

  /**
   * A session taken over from `snapshot` bytes, awaiting the same Response,
   * its timer armed afresh; sends nothing. Undefined when the bytes do not
   * restore with `options.methods` (counted by the caller). Never throws on
   * the bytes (options are checked as by the constructor).
   */
  static restore(
    options: EapAuthenticatorOptions,
    saved: Uint8Array,
  ): EapAuthenticator | undefined {
    const authenticator = new EapAuthenticator(options);
    const parts = restoreParts(options, saved);
    if (parts === undefined) return undefined;
    const { snapshot, methods, running } = parts;
    for (const method of methods) authenticator.tried.add(method);
    if (running !== undefined) authenticator.startRunner(running.method, running.workState);
    authenticator.outstanding = snapshot.outstanding;
    authenticator.lastRequestId = snapshot.lastRequestId;
    authenticator.lastResponseId = snapshot.lastResponseId;
    authenticator.rounds = snapshot.rounds;
    authenticator.timer.retransmissions = snapshot.retransmissions;
    authenticator.peerIdentity = snapshot.identity;
    authenticator.providerAttributes = snapshot.providerAttributes;
    authenticator.setState('IDLE');
    const timed = snapshot.outstanding.kind === 'identity' || snapshot.outstanding.timed;
    if (timed) authenticator.timer.arm(true);
    return authenticator;
  }

  /**
   * Ends a session whose state moved elsewhere (it was saved for another
   * process): no result, no callback, nothing sent; the method's `end` runs.
   */
  release(): void {
    if (this.outcome !== undefined) return;
    this.timer.cancel();
    this.outstanding = undefined;
    const reason = 'released: the session moved to another process';
    const ending = {
      outcome: 'error',
      resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
      reason,
    } as const;
    this.outcome = sessionResult(ending, this.selected, this.peerIdentity);
    this.runner?.end();
  }

  /** RFC 4137 SELECT_ACTION and SEND_REQUEST, from what the method answered. */
  private act(step: RunnerStep): void {
    if (this.outcome !== undefined) return;
    if (step.kind === 'output') this.setState('SELECT_ACTION');
    const decision = selectAction(step, {
      requestOutstanding: this.outstanding !== undefined,
      lastRequestId: this.lastRequestId,
      lastResponseId: this.lastResponseId,
      rounds: this.rounds,
      maxRounds: this.maxRounds,
    });
    switch (decision.kind) {
      case 'fail':
        this.fail(decision.resultCode, decision.reason, decision.outcome);
        return;
      case 'discard':
        this.discard(decision.reason, undefined);
        return;
      case 'idle':
        this.setState('IDLE');
        return;
      case 'nothing':
        return;
      case 'request':
        this.rounds++;
        this.sendRequest(decision.outstanding, decision.timed, decision.bytes);
        return;
      case 'done':
        this.timer.cancel();
        if (decision.bytes !== undefined) {
          this.counters.sent++;
          this.options.send(decision.bytes);
        }
        this.done(decision.output);
        return;
    }
  }

  private done(output: EapOutput): void {
    const conclusion = concludeMethod(output, this.providerAttributes);
    this.finish(
      conclusion.outcome,
      conclusion.resultCode,
      conclusion.reason,
      conclusion.attributes,
      conclusion.identity,
    );
  }

  /** Ends with a Failure to the peer when a Response is there to answer (RFC 3748 §4.2). */
  private fail(resultCode: number, reason: string, outcome: EapOutcome = 'failure'): void {
    if (this.lastResponseId !== undefined && this.outstanding === undefined) {
      const length = emitEap(
        { code: EapCode.Failure, identifier: this.lastResponseId },
        this.sendBuffer,
      );
      this.counters.sent++;
      this.options.send(this.sendBuffer.subarray(0, length));
    }
    this.finish(outcome, resultCode, reason);
  }

  private onTimeout(): void {
    const outstanding = this.outstanding;
    if (this.outcome !== undefined || outstanding === undefined) return;
    this.setState('RETRANSMIT');
    const counted = !(outstanding.kind === 'method' && outstanding.interactive);
    if (counted && this.timer.exhausted) {
      this.setState('TIMEOUT_FAILURE');
      this.outstanding = undefined;
      this.finish(
        'timeout',
        EapResultCode.ERROR_REQUEST_TIMEOUT,
        `no Response after ${this.timer.retransmissions} retransmissions`,
      );
      return;
    }
    if (counted) this.timer.retransmissions++;
    if (outstanding.kind === 'identity') {
      this.resend(outstanding.identifier, identityRequest(this.sendBuffer, outstanding.identifier));
      return;
    }
    // RAS: the timeout is a null packet; the method must send its last packet again.
    const step = (this.runner as MethodRunner<unknown>).call(null);
    const resent = resentRequest(step, outstanding.identifier);
    if (!resent.ok) {
      if (step.kind === 'end') this.fail(step.resultCode, step.reason, 'error');
      else this.finish('error', EapResultCode.ERROR_AUTH_INTERNAL, resent.reason);
      return;
    }
    this.resend(outstanding.identifier, resent.bytes);
  }

  private resend(identifier: number, bytes: Uint8Array): void {
    this.counters.retransmissions++;
    this.counters.sent++;
    this.timer.arm(false);
    this.trace.retransmitted(identifier, this.timer.retransmissions, this.timer.timeoutMs);
    this.sendLast(bytes);
  }

  /**
   * RFC 4137 SEND_REQUEST. Everything is recorded and the timer armed before
   * the bytes leave: a host that delivers synchronously may hand the Response
   * back from inside `send`, and it must find the Request outstanding.
   */
  private sendRequest(outstanding: SnapshotOutstanding, timed: boolean, bytes: Uint8Array): void {
    this.setState('SEND_REQUEST');
    this.lastRequestId = outstanding.identifier;
    this.timer.retransmissions = 0;
    this.outstanding = outstanding;
    if (timed) this.timer.arm(true);
    this.counters.sent++;
    this.sendLast(bytes);
  }

  /** Sends as the last step, then goes IDLE unless a re-entrant receive moved the state on. */
  private sendLast(bytes: Uint8Array): void {
    const before = this.currentState;
    this.options.send(bytes);
    if (this.currentState === before && this.outcome === undefined) this.setState('IDLE');
  }

  private discard(reason: string, identifier: number | undefined): void {
    this.setState('DISCARD');
    this.trace.drop(reason, identifier);
    this.setState('IDLE');
  }

  private finish(
    outcome: EapOutcome,
    resultCode: number,
    reason: string,
    attributes: readonly AuthAttribute[] = [],
    identity: string | undefined = undefined,
  ): void {
    if (this.outcome !== undefined) return;
    this.timer.cancel();
    this.outstanding = undefined;
    const ending = { outcome, resultCode, reason, attributes, identity };
    const result = sessionResult(ending, this.selected, this.peerIdentity);
    this.outcome = result;
    this.setState(
      outcome === 'success' ? 'SUCCESS' : outcome === 'timeout' ? 'TIMEOUT_FAILURE' : 'FAILURE',
    );
    this.runner?.end();
    this.trace.ended(result);
    this.options.onResult?.(result);
  }

  private setState(to: EapAuthenticatorState): void {
    const from = this.currentState;
    this.currentState = to;
    this.trace.state(from, to);
  }
}
