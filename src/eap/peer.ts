/**
 * The EAP peer (RFC 4137 §4, RFC 3748 §4): receives Requests, Success and
 * Failure, answers with Responses. The framework answers Identity and
 * Notification itself, Naks a method it does not have (an Expanded Nak for an
 * expanded Request), answers a duplicate Request from its cached Response
 * without calling the method, and never retransmits on its own (only the
 * authenticator does, RFC 3748 §4.3). Everything else goes to the selected
 * method through `makeMessage`. No timers: the peer needs no clock.
 */
import type { TraceRegistry } from '../trace/index.js';
import {
  EapCode,
  EapType,
  EXPANDED_NAK,
  emitEap,
  eapPacketLength,
  expandedNakTypeData,
  isEapMessage,
  nakTypeData,
  parseEap,
  type EapMessage,
  type EapPacket,
  type ExpandedType,
} from '../wire/eap.js';
import {
  EapAction,
  methodMatches,
  methodSupports,
  type EapInput,
  type EapMethod,
} from './contract.js';
import { MethodRunner, type InteractiveUi, type RunnerStep } from './method-runner.js';
import { EapResultCode } from './result-codes.js';
import { DEFAULT_SEND_CAPACITY, SessionTrace, type EapSessionResult } from './session.js';

/** RFC 4137 §4.4 peer states. */
export type EapPeerState =
  | 'DISABLED'
  | 'INITIALIZE'
  | 'IDLE'
  | 'RECEIVED'
  | 'GET_METHOD'
  | 'METHOD'
  | 'SEND_RESPONSE'
  | 'DISCARD'
  | 'IDENTITY'
  | 'NOTIFICATION'
  | 'RETRANSMIT'
  | 'SUCCESS'
  | 'FAILURE';

export interface EapPeerOptions {
  /** Peer-capable methods, most preferred first (the order a Nak lists them in). */
  readonly methods: readonly EapMethod[];
  readonly identity: string;
  readonly password?: string;
  /** Sends one EAP packet. The bytes are a view of the peer's send buffer: copy to keep. */
  readonly send: (packet: Uint8Array) => void;
  /** Called once when the session ends. */
  readonly onResult?: (result: EapSessionResult) => void;
  /** The text of a Notification Request (RFC 3748 §5.2), shown to the user. */
  readonly onNotification?: (text: string) => void;
  /** RFC 4137 `allowNotifications`; default true. */
  readonly allowNotifications?: boolean;
  /** `cbSendPacket`, default 1020 (the minimum EAP MTU). */
  readonly sendCapacity?: number;
  /** `RasEapFlag` bits passed to the method. */
  readonly flags?: number;
  readonly ui?: InteractiveUi;
  readonly trace?: TraceRegistry;
  readonly sessionId?: number;
}

export interface EapPeerStats {
  readonly received: number;
  readonly sent: number;
  /** Responses resent for a duplicate Request (from the cache, the method not called). */
  readonly duplicatesAnswered: number;
  readonly naksSent: number;
  readonly droppedTotal: number;
  /** Drops by reason: malformed:<code>, not-a-request, duplicate-without-response, wrong-identifier, … */
  readonly dropped: Readonly<Record<string, number>>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class EapPeer {
  private readonly options: EapPeerOptions;
  private readonly trace: SessionTrace;
  private readonly sendBuffer: Uint8Array;
  private currentState: EapPeerState = 'DISABLED';
  /** RFC 4137 `lastId`: the Identifier of the last Request answered. */
  private lastId: number | undefined;
  /** RFC 4137 `lastRespData`: the length of the cached Response in `sendBuffer` (0: none). */
  private cachedLength = 0;
  private runner: MethodRunner<unknown> | undefined;
  private selected: EapMethod<unknown> | undefined;
  private outcome: EapSessionResult | undefined;
  private counters = { received: 0, sent: 0, duplicatesAnswered: 0, naksSent: 0 };

  constructor(options: EapPeerOptions) {
    const capacity = options.sendCapacity ?? DEFAULT_SEND_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 5 || capacity > 0xffff) {
      throw new RangeError(`sendCapacity must be 5..65535: got ${capacity}`);
    }
    for (const method of options.methods) {
      if (!methodSupports(method.info, 'peer')) {
        throw new TypeError(`EAP method ${method.info.name} cannot run on the peer side`);
      }
    }
    this.options = options;
    this.sendBuffer = new Uint8Array(capacity);
    this.trace = new SessionTrace('peer', options.trace, options.sessionId);
    this.setState('INITIALIZE');
    this.setState('IDLE');
  }

  get state(): EapPeerState {
    return this.currentState;
  }

  get sessionId(): number {
    return this.trace.session;
  }

  /** The result once the session has ended. */
  get result(): EapSessionResult | undefined {
    return this.outcome;
  }

  /**
   * Whether the method is computing its answer (a TLS engine's `pendingWork`,
   * the interactive UI): the Response to the last Request comes later.
   */
  get busy(): boolean {
    return this.outcome === undefined && this.runner?.waitingFor !== undefined;
  }

  stats(): EapPeerStats {
    return {
      ...this.counters,
      droppedTotal: this.trace.droppedTotal,
      dropped: this.trace.dropCounts(),
    };
  }

  /** One EAP packet from the lower layer. Never throws on bad bytes: they are dropped, counted and traced. */
  receive(bytes: Uint8Array): void {
    this.counters.received++;
    if (this.outcome !== undefined) {
      this.trace.drop('session-ended', bytes[1]);
      return;
    }
    const parsed = parseEap(bytes);
    if (!parsed.ok) {
      this.trace.drop(`malformed:${parsed.failure.code}`, bytes[1]);
      return;
    }
    this.received(parsed.value);
  }

  /**
   * The lower layer's alternate success indication (RAS sets
   * `fSuccessPacketReceived` when NCP traffic arrives, RFC 4137 `altAccept`):
   * the method is asked with `successPacketReceived` and decides.
   */
  lowerLayerSuccess(): void {
    if (this.outcome !== undefined || this.runner === undefined || this.selected === undefined)
      return;
    this.act(
      this.runner.call(null, { authenticator: false, successPacketReceived: true }),
      undefined,
    );
  }

  /** Ends the session from outside (the lower layer went away). The method's `end` is called. */
  abort(reason = 'aborted'): void {
    this.finish({ outcome: 'error', resultCode: EapResultCode.ERROR_AUTH_INTERNAL, reason });
  }

  private received(packet: EapPacket): void {
    this.setState('RECEIVED');
    if (!isEapMessage(packet)) {
      this.resultPacket(packet.code, packet.identifier, packet);
      return;
    }
    if (packet.code !== EapCode.Request) {
      this.discard('not-a-request', packet.identifier);
      return;
    }
    // RFC 4137 RECEIVED → RETRANSMIT: a Request with the last Identifier gets the cached Response.
    if (this.lastId !== undefined && packet.identifier === this.lastId) {
      if (this.cachedLength === 0) {
        this.discard('duplicate-without-response', packet.identifier);
        return;
      }
      this.setState('RETRANSMIT');
      this.counters.duplicatesAnswered++;
      this.transmit(this.sendBuffer.subarray(0, this.cachedLength));
      return;
    }
    if (packet.type === EapType.Notification) {
      if (this.options.allowNotifications === false) {
        this.discard('notification-not-allowed', packet.identifier);
        return;
      }
      this.setState('NOTIFICATION');
      this.options.onNotification?.(decoder.decode(packet.typeData));
      this.respond({
        code: EapCode.Response,
        identifier: packet.identifier,
        type: EapType.Notification,
        typeData: new Uint8Array(0),
      });
      return;
    }
    if (this.selected === undefined) {
      if (packet.type === EapType.Identity) {
        this.setState('IDENTITY');
        this.respond({
          code: EapCode.Response,
          identifier: packet.identifier,
          type: EapType.Identity,
          typeData: encoder.encode(this.options.identity),
        });
        return;
      }
      this.getMethod(packet);
      return;
    }
    if (!methodMatches(this.selected.info, packet.type, packet.expanded)) {
      // RFC 4137: once a method is selected, a Request of another type is discarded.
      this.discard('other-method-request', packet.identifier);
      return;
    }
    const runner = this.runner as MethodRunner<unknown>;
    if (runner.waitingFor !== undefined) {
      this.discard('busy', packet.identifier);
      return;
    }
    this.setState('METHOD');
    this.act(runner.call(packet), packet.identifier);
  }

  /** RFC 4137 GET_METHOD: select the method, or Nak it. */
  private getMethod(request: EapMessage): void {
    this.setState('GET_METHOD');
    const method = this.options.methods.find((m) =>
      methodMatches(m.info, request.type, request.expanded),
    );
    if (isNakType(request)) {
      // Nak is a Response only (RFC 3748 §5.3): a Request of that type is malformed.
      this.discard('nak-request', request.identifier);
      return;
    }
    if (method === undefined) {
      this.sendNak(request);
      return;
    }
    const input: EapInput = {
      authenticator: false,
      identity: this.options.identity,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
      ...(this.options.flags === undefined ? {} : { flags: this.options.flags }),
    };
    let workState: unknown;
    try {
      workState = method.begin(input);
    } catch (error) {
      this.finish({
        outcome: 'error',
        resultCode: numberOf(error),
        reason: `method begin failed: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    this.selected = method;
    this.runner = new MethodRunner(this.selected, workState, this.sendBuffer, {
      authenticator: false,
      identity: () => this.options.identity,
      flags: this.options.flags ?? 0,
      provider: undefined,
      ui: this.options.ui,
      observe: (result) => this.trace.methodResult(method.info.name, result),
      onLateStep: (step) => this.act(step, undefined),
    });
    this.setState('METHOD');
    this.act(this.runner.call(request), request.identifier);
  }

  private sendNak(request: EapMessage): void {
    this.counters.naksSent++;
    const legacy = this.options.methods
      .map((m) => m.info)
      .filter((info) => info.type !== EapType.Expanded)
      .map((info) => info.type);
    if (request.type === EapType.Expanded) {
      const desired: ExpandedType[] = this.options.methods.map(
        (m) => m.info.expanded ?? { vendorId: 0, vendorType: m.info.type },
      );
      this.respond({
        code: EapCode.Response,
        identifier: request.identifier,
        type: EapType.Expanded,
        expanded: EXPANDED_NAK,
        typeData: expandedNakTypeData(desired),
      });
      return;
    }
    // A legacy Nak can only name legacy types; 254 in the list says "ask me in expanded form".
    const desired = this.options.methods.some((m) => m.info.type === EapType.Expanded)
      ? [...legacy, EapType.Expanded]
      : legacy;
    this.respond({
      code: EapCode.Response,
      identifier: request.identifier,
      type: EapType.Nak,
      typeData: nakTypeData(desired),
    });
  }

  /** Success or Failure (RFC 4137 §4.5 RECEIVED rules, with the RAS method deciding when one runs). */
  private resultPacket(code: number, identifier: number, packet: EapPacket): void {
    // Success and Failure reuse the Identifier of the last Response (RFC 3748 §4.2).
    if (this.lastId === undefined || identifier !== this.lastId) {
      this.discard('result-wrong-identifier', identifier);
      return;
    }
    if (this.runner === undefined) {
      // No method has run: decision is FAIL, so a Success is a failure too (RFC 4137 §4.5).
      this.finish({
        outcome: 'failure',
        resultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
        reason:
          code === EapCode.Success ? 'success before any method: refused' : 'failure received',
      });
      return;
    }
    this.act(this.runner.call(packet), undefined);
  }

  /** Acts on a method step. `requestId` is the Request being answered, if any. */
  private act(step: RunnerStep, requestId: number | undefined): void {
    if (this.outcome !== undefined) return;
    switch (step.kind) {
      case 'discard':
        this.discard(`method:${step.reason}`, requestId);
        return;
      case 'end':
        this.finish({ outcome: 'error', resultCode: step.resultCode, reason: step.reason });
        return;
      case 'pending':
        this.setState('IDLE');
        return;
      case 'output':
        break;
    }
    const { output, bytes, packet } = step;
    switch (output.action) {
      case EapAction.Send:
      case EapAction.SendWithTimeout:
      case EapAction.SendWithTimeoutInteractive:
      case EapAction.SendAndDone: {
        // Only the authenticator retransmits: a timeout action on the peer is sent like Send.
        if (packet === undefined || bytes === undefined) return;
        if (
          packet.code !== EapCode.Response ||
          (requestId !== undefined && packet.identifier !== requestId)
        ) {
          this.finish({
            outcome: 'error',
            resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
            reason: `method sent code ${packet.code} id ${packet.identifier}: a peer answers a Request with a Response of its Identifier`,
          });
          return;
        }
        this.setState('SEND_RESPONSE');
        this.lastId = packet.identifier;
        this.cachedLength = bytes.length;
        this.transmit(bytes, output.action !== EapAction.SendAndDone);
        if (output.action === EapAction.SendAndDone) {
          this.methodDone(output.authResultCode ?? 0, output);
        }
        return;
      }
      case EapAction.Done:
        this.methodDone(output.authResultCode ?? 0, output);
        return;
      case EapAction.Authenticate:
      case EapAction.NoAction:
      case EapAction.IndicateTlv:
      case EapAction.IndicateIdentity:
        // Reserved actions (7, 8) are for PEAP internals; outside a tunnel they do nothing.
        this.setState('IDLE');
        return;
    }
  }

  private methodDone(
    resultCode: number,
    output: { userAttributes?: readonly unknown[]; reason?: string },
  ): void {
    this.finish({
      outcome: resultCode === 0 ? 'success' : 'failure',
      resultCode,
      reason:
        output.reason ??
        (resultCode === 0 ? 'method succeeded' : `method failed with ${resultCode}`),
      attributes: (output.userAttributes ?? []) as EapSessionResult['attributes'],
    });
  }

  private respond(packet: EapPacket): void {
    const length = eapPacketLength(packet);
    if (length > this.sendBuffer.length) {
      this.finish({
        outcome: 'error',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: `response of ${length} bytes exceeds the send capacity`,
      });
      return;
    }
    emitEap(packet, this.sendBuffer);
    this.setState('SEND_RESPONSE');
    this.lastId = packet.identifier;
    this.cachedLength = length;
    this.transmit(this.sendBuffer.subarray(0, length));
  }

  /**
   * Sends as the last step (state is recorded first: a host that delivers
   * synchronously may re-enter `receive` from inside `send`), then goes IDLE
   * unless that re-entrant call moved the state on.
   */
  private transmit(bytes: Uint8Array, thenIdle = true): void {
    this.counters.sent++;
    const before = this.currentState;
    this.options.send(bytes);
    if (thenIdle && this.currentState === before && this.outcome === undefined) {
      this.setState('IDLE');
    }
  }

  private discard(reason: string, identifier: number | undefined): void {
    this.setState('DISCARD');
    this.trace.drop(reason, identifier);
    this.setState('IDLE');
  }

  private finish(
    result: Omit<EapSessionResult, 'method' | 'identity' | 'attributes'> & {
      attributes?: EapSessionResult['attributes'];
    },
  ): void {
    if (this.outcome !== undefined) return;
    const full: EapSessionResult = {
      ...result,
      attributes: result.attributes ?? [],
      method: this.selected?.info.name,
      identity: this.options.identity,
    };
    this.outcome = full;
    this.setState(full.outcome === 'success' ? 'SUCCESS' : 'FAILURE');
    this.runner?.end();
    this.trace.ended(full);
    this.options.onResult?.(full);
  }

  private setState(to: EapPeerState): void {
    const from = this.currentState;
    this.currentState = to;
    this.trace.state(from, to);
  }
}

function isNakType(packet: EapMessage): boolean {
  if (packet.type === EapType.Nak) return true;
  return (
    packet.type === EapType.Expanded &&
    packet.expanded?.vendorId === 0 &&
    packet.expanded.vendorType === EXPANDED_NAK.vendorType
  );
}

function numberOf(error: unknown): number {
  const n = (error as { number?: unknown } | null)?.number;
  return typeof n === 'number' ? n : EapResultCode.ERROR_AUTH_INTERNAL;
}
