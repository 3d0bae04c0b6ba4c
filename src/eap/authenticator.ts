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
import type { Timer } from '../runtime/index.js';
import { EapCode, EapType, emitEap, isEapMessage, parseEap, type EapPacket } from '../wire/eap.js';
import { AuthAttributeType, findAttribute, type AuthAttribute } from './attributes.js';
import {
  EapAction,
  methodMatches,
  methodSupports,
  type EapMethod,
  type EapOutput,
} from './contract.js';
import { MethodRunner, type RunnerStep } from './method-runner.js';
import { EapResultCode } from './result-codes.js';
import {
  DEFAULT_SEND_CAPACITY,
  mergeAttributes,
  SessionTrace,
  type EapOutcome,
  type EapSessionResult,
} from './session.js';
import {
  DEFAULT_MAX_ROUNDS,
  DEFAULT_RETRANSMIT,
  type EapAuthenticatorOptions,
  type EapAuthenticatorState,
  type EapAuthenticatorStats,
  type RetransmitOptions,
} from './authenticator-options.js';
import { nakList, type Desired } from './nak.js';
import {
  decodeAuthenticatorSnapshot,
  encodeAuthenticatorSnapshot,
} from './authenticator-snapshot.js';

type Outstanding =
  | { readonly kind: 'identity'; readonly identifier: number }
  | {
      readonly kind: 'method';
      readonly identifier: number;
      readonly timed: boolean;
      readonly interactive: boolean;
    };

const decoder = new TextDecoder();
const NO_DATA = new Uint8Array(0);

export class EapAuthenticator {
  private readonly options: EapAuthenticatorOptions;
  private readonly retransmit: RetransmitOptions;
  private readonly maxRounds: number;
  private readonly trace: SessionTrace;
  private readonly sendBuffer: Uint8Array;
  private currentState: EapAuthenticatorState = 'DISABLED';
  private outstanding: Outstanding | undefined;
  /** The last Request's Identifier (a new Request must differ: RFC 3748 §4.1). */
  private lastRequestId: number | undefined;
  /** The last valid Response's Identifier: Success and Failure reuse it (RFC 3748 §4.2). */
  private lastResponseId: number | undefined;
  private timer: Timer | undefined;
  private timeoutMs = 0;
  private retransmissionsOfCurrent = 0;
  private rounds = 0;
  private peerIdentity: string | undefined;
  private selected: EapMethod<unknown> | undefined;
  private runner: MethodRunner<unknown> | undefined;
  private readonly tried = new Set<EapMethod>();
  private providerAttributes: readonly AuthAttribute[] = [];
  private outcome: EapSessionResult | undefined;
  private counters = { received: 0, sent: 0, retransmissions: 0, naksReceived: 0 };

  constructor(options: EapAuthenticatorOptions) {
    const capacity = options.sendBuffer?.length ?? options.sendCapacity ?? DEFAULT_SEND_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 5 || capacity > 0xffff) {
      throw new RangeError(`sendCapacity must be 5..65535: got ${capacity}`);
    }
    const retransmit = { ...DEFAULT_RETRANSMIT, ...options.retransmit };
    if (
      !(retransmit.initialTimeoutMs > 0) ||
      !(retransmit.maxTimeoutMs >= retransmit.initialTimeoutMs)
    ) {
      throw new RangeError(
        'retransmit timeouts must be positive, maxTimeoutMs >= initialTimeoutMs',
      );
    }
    if (!Number.isInteger(retransmit.maxRetransmissions) || retransmit.maxRetransmissions < 0) {
      throw new RangeError(
        `maxRetransmissions must be a whole number: got ${retransmit.maxRetransmissions}`,
      );
    }
    const initialId = options.initialIdentifier ?? 0;
    if (!Number.isInteger(initialId) || initialId < 0 || initialId > 255) {
      throw new RangeError(`initialIdentifier must be 0..255: got ${initialId}`);
    }
    for (const method of options.methods) {
      if (!methodSupports(method.info, 'authenticator')) {
        throw new TypeError(`EAP method ${method.info.name} cannot run on the authenticator side`);
      }
    }
    this.options = options;
    this.retransmit = retransmit;
    this.maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
    this.sendBuffer = options.sendBuffer ?? new Uint8Array(capacity);
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
    this.sendRequest({ kind: 'identity', identifier }, true, this.identityRequest(identifier));
  }

  /** Encodes the Request/Identity (again for a retransmission: the send buffer may be shared). */
  private identityRequest(identifier: number): Uint8Array {
    const length = emitEap(
      { code: EapCode.Request, identifier, type: EapType.Identity, typeData: NO_DATA },
      this.sendBuffer,
    );
    return this.sendBuffer.subarray(0, length);
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
    const packet = parsed.value;
    if (!isEapMessage(packet) || packet.code !== EapCode.Response) {
      this.discard('not-a-response', packet.identifier);
      return;
    }
    const outstanding = this.outstanding;
    if (outstanding === undefined) {
      this.discard(
        this.runner?.waitingFor !== undefined ? 'busy' : 'no-request-outstanding',
        packet.identifier,
      );
      return;
    }
    if (packet.identifier !== outstanding.identifier) {
      this.discard('wrong-identifier', packet.identifier);
      return;
    }
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
    this.cancelTimer();
  }

  /** RFC 4137 PROPOSE_METHOD: the next method in policy order the peer accepts. */
  private proposeMethod(desired: readonly Desired[] | undefined): void {
    this.setState('PROPOSE_METHOD');
    const method = this.options.methods.find(
      (m) =>
        !this.tried.has(m) &&
        (desired === undefined || desired.some((d) => methodMatches(m.info, d.type, d.expanded))),
    );
    if (method === undefined) {
      this.fail(
        EapResultCode.ERROR_AUTHENTICATION_FAILURE,
        desired === undefined ? 'no method configured' : 'no method the peer accepts',
      );
      return;
    }
    this.tried.add(method);
    const initialId = ((this.lastRequestId ?? 0) + 1) & 0xff;
    let workState: unknown;
    try {
      workState = method.begin({
        authenticator: true,
        ...(this.peerIdentity === undefined ? {} : { identity: this.peerIdentity }),
        initialId,
        ...(this.options.flags === undefined ? {} : { flags: this.options.flags }),
      });
    } catch (error) {
      const n = (error as { number?: unknown } | null)?.number;
      this.fail(
        typeof n === 'number' ? n : EapResultCode.ERROR_AUTH_INTERNAL,
        `method begin failed: ${(error as Error).message}`,
      );
      return;
    }
    this.startRunner(method, workState);
    this.setState('METHOD_REQUEST');
    this.act((this.runner as MethodRunner<unknown>).call(null));
  }

  private startRunner(method: EapMethod, workState: unknown): void {
    this.selected = method;
    this.runner = new MethodRunner(this.selected, workState, this.sendBuffer, {
      authenticator: true,
      identity: () => this.peerIdentity,
      flags: this.options.flags ?? 0,
      provider: this.options.provider
        ? {
            authenticate: (request, complete) =>
              this.options.provider?.authenticate(request, (result) => {
                this.providerAttributes = result.attributes ?? [];
                complete(result);
              }),
          }
        : undefined,
      ui: this.options.ui,
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
    const outstanding = this.outstanding;
    if (this.outcome !== undefined || outstanding === undefined) return undefined;
    if (this.runner?.waitingFor !== undefined) return undefined;
    const tried = [...this.tried];
    if (tried.some((m) => m.info.type === 254)) return undefined;
    let methodState: Uint8Array | undefined;
    if (outstanding.kind === 'method') {
      const selected = this.selected as EapMethod<unknown>;
      methodState = selected.saveState?.((this.runner as MethodRunner<unknown>).workState);
      if (methodState === undefined) return undefined;
      // The selected method goes last: restore finds it there.
      tried.splice(tried.indexOf(selected), 1);
      tried.push(selected);
    }
    return encodeAuthenticatorSnapshot({
      outstanding,
      lastRequestId: this.lastRequestId,
      lastResponseId: this.lastResponseId,
      rounds: this.rounds,
      retransmissions: this.retransmissionsOfCurrent,
      identity: this.peerIdentity,
      tried: tried.map((m) => m.info.type),
      providerAttributes: this.providerAttributes,
      methodState,
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
    const snapshot = decodeAuthenticatorSnapshot(saved);
    if (snapshot === undefined) return undefined;
    const methods: EapMethod[] = [];
    for (const type of snapshot.tried) {
      const method = options.methods.find((m) => m.info.type === type && type !== 254);
      if (method === undefined || methods.includes(method)) return undefined;
      methods.push(method);
    }
    for (const method of methods) authenticator.tried.add(method);
    if (snapshot.outstanding.kind === 'method') {
      const method = methods[methods.length - 1] as EapMethod;
      let workState: unknown;
      try {
        workState = method.restoreState?.(snapshot.methodState as Uint8Array, {
          authenticator: true,
          ...(snapshot.identity === undefined ? {} : { identity: snapshot.identity }),
          ...(options.flags === undefined ? {} : { flags: options.flags }),
        });
      } catch {
        // restoreState must not throw; one that does refuses the bytes all the same.
        workState = undefined;
      }
      if (workState === undefined) return undefined;
      authenticator.startRunner(method, workState);
    }
    authenticator.outstanding = snapshot.outstanding;
    authenticator.lastRequestId = snapshot.lastRequestId;
    authenticator.lastResponseId = snapshot.lastResponseId;
    authenticator.rounds = snapshot.rounds;
    authenticator.retransmissionsOfCurrent = snapshot.retransmissions;
    authenticator.peerIdentity = snapshot.identity;
    authenticator.providerAttributes = snapshot.providerAttributes;
    authenticator.setState('IDLE');
    const timed = snapshot.outstanding.kind === 'identity' || snapshot.outstanding.timed;
    if (timed) {
      const retransmissions = authenticator.retransmissionsOfCurrent;
      authenticator.armTimer(true);
      authenticator.retransmissionsOfCurrent = retransmissions;
    }
    return authenticator;
  }

  /**
   * Ends a session whose state moved elsewhere (it was saved for another
   * process): no result, no callback, nothing sent; the method's `end` runs.
   */
  release(): void {
    if (this.outcome !== undefined) return;
    this.cancelTimer();
    this.outstanding = undefined;
    this.outcome = {
      outcome: 'error',
      resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
      reason: 'released: the session moved to another process',
      method: this.selected?.info.name,
      identity: this.peerIdentity,
      attributes: [],
    };
    this.runner?.end();
  }

  /** RFC 4137 SELECT_ACTION and SEND_REQUEST, from what the method answered. */
  private act(step: RunnerStep): void {
    if (this.outcome !== undefined) return;
    switch (step.kind) {
      case 'discard':
        if (this.outstanding === undefined) {
          // Nothing is outstanding, so nothing would ever call the method again.
          this.fail(
            EapResultCode.ERROR_AUTH_INTERNAL,
            `method discarded with no Request outstanding: ${step.reason}`,
            'error',
          );
          return;
        }
        this.discard(`method:${step.reason}`, undefined);
        return;
      case 'end':
        this.fail(step.resultCode, step.reason, 'error');
        return;
      case 'pending':
        this.setState('IDLE');
        return;
      case 'output':
        break;
    }
    const { output, packet, bytes } = step;
    this.setState('SELECT_ACTION');
    switch (output.action) {
      case EapAction.Send:
      case EapAction.SendWithTimeout:
      case EapAction.SendWithTimeoutInteractive: {
        if (packet === undefined || bytes === undefined) return;
        if (packet.code !== EapCode.Request) {
          this.fail(
            EapResultCode.ERROR_AUTH_INTERNAL,
            `method used ${output.action} for code ${packet.code}: Success/Failure go with send-and-done`,
            'error',
          );
          return;
        }
        if (packet.identifier === this.lastRequestId) {
          this.fail(
            EapResultCode.ERROR_AUTH_INTERNAL,
            `method reused Identifier ${packet.identifier} for a new Request (RFC 3748 §4.1)`,
            'error',
          );
          return;
        }
        if (++this.rounds > this.maxRounds) {
          this.fail(
            EapResultCode.ERROR_AUTHENTICATION_FAILURE,
            `more than ${this.maxRounds} rounds`,
          );
          return;
        }
        const timed = output.action !== EapAction.Send;
        this.sendRequest(
          {
            kind: 'method',
            identifier: packet.identifier,
            timed,
            interactive: output.action === EapAction.SendWithTimeoutInteractive,
          },
          timed,
          bytes,
        );
        return;
      }
      case EapAction.SendAndDone: {
        if (packet === undefined || bytes === undefined) return;
        const check = this.checkResultPacket(packet, output);
        if (check !== undefined) {
          this.fail(EapResultCode.ERROR_AUTH_INTERNAL, check, 'error');
          return;
        }
        this.cancelTimer();
        this.counters.sent++;
        this.options.send(bytes);
        this.done(output);
        return;
      }
      case EapAction.Done:
        this.cancelTimer();
        this.done(output);
        return;
      case EapAction.Authenticate:
      case EapAction.NoAction:
      case EapAction.IndicateTlv:
      case EapAction.IndicateIdentity:
        this.setState('IDLE');
        return;
    }
  }

  /** Why a send-and-done packet breaks RFC 3748 §4.2, or undefined if it is fine. */
  private checkResultPacket(packet: EapPacket, output: EapOutput): string | undefined {
    if (packet.code === EapCode.Request || packet.code === EapCode.Response) {
      return 'send-and-done on the authenticator sends Success or Failure';
    }
    if (packet.identifier !== this.lastResponseId) {
      return `Success/Failure must reuse the last Response's Identifier ${String(this.lastResponseId)}, not ${packet.identifier}`;
    }
    const success = (output.authResultCode ?? 0) === 0;
    if (success !== (packet.code === EapCode.Success)) {
      return `result code ${output.authResultCode ?? 0} contradicts a ${packet.code === EapCode.Success ? 'Success' : 'Failure'} packet`;
    }
    return undefined;
  }

  private done(output: EapOutput): void {
    const resultCode = output.authResultCode ?? 0;
    // A tunnel method (PEAP, TTLS) names the user it authenticated inside with a
    // User-Name: that is the session's identity, not the (maybe anonymous) outer one.
    const named =
      resultCode === 0
        ? findAttribute(output.userAttributes, AuthAttributeType.UserName)
        : undefined;
    this.finish(
      resultCode === 0 ? 'success' : 'failure',
      resultCode,
      output.reason ?? (resultCode === 0 ? 'method succeeded' : `method failed with ${resultCode}`),
      resultCode === 0 ? mergeAttributes(this.providerAttributes, output.userAttributes ?? []) : [],
      named === undefined ? undefined : decoder.decode(named.value),
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
    this.timer = undefined;
    const outstanding = this.outstanding;
    if (this.outcome !== undefined || outstanding === undefined) return;
    this.setState('RETRANSMIT');
    const counted = !(outstanding.kind === 'method' && outstanding.interactive);
    if (counted && this.retransmissionsOfCurrent >= this.retransmit.maxRetransmissions) {
      this.setState('TIMEOUT_FAILURE');
      this.outstanding = undefined;
      this.finish(
        'timeout',
        EapResultCode.ERROR_REQUEST_TIMEOUT,
        `no Response after ${this.retransmissionsOfCurrent} retransmissions`,
      );
      return;
    }
    if (counted) this.retransmissionsOfCurrent++;
    if (outstanding.kind === 'identity') {
      this.resend(outstanding.identifier, this.identityRequest(outstanding.identifier));
      return;
    }
    // RAS: the timeout is a null packet; the method must send its last packet again.
    const step = (this.runner as MethodRunner<unknown>).call(null);
    if (
      step.kind !== 'output' ||
      step.packet === undefined ||
      step.bytes === undefined ||
      step.packet.code !== EapCode.Request ||
      step.packet.identifier !== outstanding.identifier
    ) {
      if (step.kind === 'end') {
        this.fail(step.resultCode, step.reason, 'error');
        return;
      }
      this.outstanding = undefined;
      this.finish(
        'error',
        EapResultCode.ERROR_AUTH_INTERNAL,
        `method did not resend Request ${outstanding.identifier} on timeout (RFC 3748 §4.3: same Identifier)`,
      );
      return;
    }
    this.resend(outstanding.identifier, step.bytes);
  }

  private resend(identifier: number, bytes: Uint8Array): void {
    this.counters.retransmissions++;
    this.counters.sent++;
    this.armTimer(false);
    this.trace.retransmitted(identifier, this.retransmissionsOfCurrent, this.timeoutMs);
    this.sendLast(bytes);
  }

  /**
   * RFC 4137 SEND_REQUEST. Everything is recorded and the timer armed before
   * the bytes leave: a host that delivers synchronously may hand the Response
   * back from inside `send`, and it must find the Request outstanding.
   */
  private sendRequest(outstanding: Outstanding, timed: boolean, bytes: Uint8Array): void {
    this.setState('SEND_REQUEST');
    this.lastRequestId = outstanding.identifier;
    this.retransmissionsOfCurrent = 0;
    this.outstanding = outstanding;
    if (timed) this.armTimer(true);
    this.counters.sent++;
    this.sendLast(bytes);
  }

  /** Sends as the last step, then goes IDLE unless a re-entrant receive moved the state on. */
  private sendLast(bytes: Uint8Array): void {
    const before = this.currentState;
    this.options.send(bytes);
    if (this.currentState === before && this.outcome === undefined) this.setState('IDLE');
  }

  /** RFC 4137 calculateTimeout: the initial timeout for a new Request, doubled (capped) for a resend. */
  private armTimer(fresh: boolean): void {
    this.cancelTimer();
    this.timeoutMs = fresh
      ? this.retransmit.initialTimeoutMs
      : Math.min(this.timeoutMs * 2, this.retransmit.maxTimeoutMs);
    this.timer = this.options.clock.setTimer(this.timeoutMs, () => this.onTimeout());
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
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
    this.cancelTimer();
    this.outstanding = undefined;
    const result: EapSessionResult = {
      outcome,
      resultCode,
      reason,
      method: this.selected?.info.name,
      identity: identity ?? this.peerIdentity,
      ...(identity === undefined || this.peerIdentity === identity
        ? {}
        : { outerIdentity: this.peerIdentity }),
      attributes,
    };
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
