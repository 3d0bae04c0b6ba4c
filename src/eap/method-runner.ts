/**
 * The framework's side of one `makeMessage` call: what RAS does around the
 * method. It catches what the method throws, turns 722 into a discard and
 * any other error into the end of the session, checks that a send action
 * carries a packet that fits `sendCapacity`, encodes it into the side's own
 * send buffer (the method allocates none), and runs the round-trips the
 * method asks for: the authentication provider behind `authenticate` and the
 * interactive UI, whose answers come back in the next call as `EapInput`,
 * and netrx's `pendingWork` (a TLS engine computing its flight). All may
 * answer synchronously or later; a late answer arrives through `onLateStep`.
 */
import { NetrxError } from '../runtime/index.js';
import { emitEap, eapPacketLength, type EapPacket } from '../wire/eap.js';
import type { AuthAttribute } from './attributes.js';
import {
  EapAction,
  isMethodError,
  RasEapFlag,
  SENDING_ACTIONS,
  type EapInput,
  type EapMakeMessageResult,
  type EapMethod,
  type EapMethodInfo,
  type EapOutput,
  type InteractiveUiRequest,
} from './contract.js';
import { EapResultCode } from './result-codes.js';

/** What an authenticator asks its provider (RAS's "authentication provider": RADIUS or local). */
export interface AuthenticationRequest {
  readonly identity: string | undefined;
  readonly method: EapMethodInfo;
  readonly attributes: readonly AuthAttribute[];
}

export interface AuthenticationResult {
  /** 0 for success, else a raserror/winerror number (691 for bad credentials). */
  readonly resultCode: number;
  readonly attributes?: readonly AuthAttribute[];
  /** Why it failed, for traces (never sent to the peer): e.g. `chap-needs-cleartext-password`. */
  readonly reason?: string;
}

/**
 * The provider behind the `authenticate` action. `complete` may be called at
 * once or later, exactly once; later calls are ignored and counted.
 */
export interface AuthenticationProvider {
  authenticate(
    request: AuthenticationRequest,
    complete: (result: AuthenticationResult) => void,
  ): void;
}

export type InteractiveUiResult = { readonly cancelled: true } | { readonly data: Uint8Array };

/** `RasEapInvokeInteractiveUI`: shows the method's UI and completes with its data or a cancel. */
export interface InteractiveUi {
  invoke(
    method: EapMethodInfo,
    request: InteractiveUiRequest,
    complete: (result: InteractiveUiResult) => void,
  ): void;
}

/** One step of the session as the framework sees it after a `makeMessage` call. */
export type RunnerStep =
  | { readonly kind: 'discard'; readonly reason: string }
  | { readonly kind: 'end'; readonly resultCode: number; readonly reason: string }
  | { readonly kind: 'pending'; readonly waitingFor: 'provider' | 'ui' | 'work' }
  | {
      readonly kind: 'output';
      readonly output: EapOutput;
      /** The encoded packet for the send actions: a view of the side's send buffer, valid until the next send. */
      readonly bytes?: Uint8Array;
      readonly packet?: EapPacket;
    };

export interface RunnerHooks {
  readonly authenticator: boolean;
  readonly identity: () => string | undefined;
  readonly flags: number;
  readonly provider: AuthenticationProvider | undefined;
  readonly ui: InteractiveUi | undefined;
  /** Called with every method answer (for tracing). */
  readonly observe: (result: EapMakeMessageResult | { error: number; reason: string }) => void;
  /** A provider or UI answer that came after the call returned `pending`. */
  readonly onLateStep: (step: RunnerStep) => void;
}

export class MethodRunner<W = unknown> {
  readonly method: EapMethod<W>;
  /** The method's `pWorkBuf` (read by EapAuthenticator.snapshot). */
  readonly workState: W;
  private readonly sendBuffer: Uint8Array;
  private readonly hooks: RunnerHooks;
  private waiting: 'provider' | 'ui' | 'work' | undefined;
  private ended = false;
  /** Completions that arrived twice or after the session ended. */
  staleCompletions = 0;

  constructor(method: EapMethod<W>, workState: W, sendBuffer: Uint8Array, hooks: RunnerHooks) {
    this.method = method;
    this.workState = workState;
    this.sendBuffer = sendBuffer;
    this.hooks = hooks;
  }

  /** The provider or UI answer, or the method's own pending work, the session is waiting for. */
  get waitingFor(): 'provider' | 'ui' | 'work' | undefined {
    return this.waiting;
  }

  /** Calls `makeMessage` and resolves what it asked for. */
  call(received: EapPacket | null, input?: EapInput): RunnerStep {
    return this.resolve(this.invoke(received, input));
  }

  /** `RasEapEnd`: once; later completions are then ignored. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.waiting = undefined;
    try {
      this.method.end(this.workState);
    } catch {
      // The session is over either way; a method that throws in end cannot undo that.
    }
  }

  private invoke(received: EapPacket | null, input?: EapInput): RunnerStep {
    let result: EapMakeMessageResult;
    try {
      result = this.method.makeMessage(this.workState, received, this.sendBuffer.length, input);
    } catch (error) {
      const resultCode =
        error instanceof NetrxError && error.number !== undefined
          ? error.number
          : EapResultCode.ERROR_AUTH_INTERNAL;
      const reason = `method threw: ${error instanceof Error ? error.message : String(error)}`;
      this.hooks.observe({ error: resultCode, reason });
      return { kind: 'end', resultCode, reason };
    }
    this.hooks.observe(result);
    if (isMethodError(result)) {
      if (result.error === EapResultCode.ERROR_PPP_INVALID_PACKET) {
        return { kind: 'discard', reason: result.reason ?? 'method discarded the packet' };
      }
      if (result.error === EapResultCode.NO_ERROR) {
        return {
          kind: 'end',
          resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
          reason: 'method returned error 0',
        };
      }
      return {
        kind: 'end',
        resultCode: result.error,
        reason: result.reason ?? `method error ${result.error}`,
      };
    }
    if (!SENDING_ACTIONS.has(result.action)) return { kind: 'output', output: result };
    const packet = result.packet;
    if (packet === undefined) {
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: `action ${result.action} without a packet`,
      };
    }
    const length = eapPacketLength(packet);
    if (length > this.sendBuffer.length) {
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: `packet of ${length} bytes exceeds the send capacity of ${this.sendBuffer.length}`,
      };
    }
    try {
      emitEap(packet, this.sendBuffer);
    } catch (error) {
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: `method built an unencodable packet: ${(error as Error).message}`,
      };
    }
    return { kind: 'output', output: result, packet, bytes: this.sendBuffer.subarray(0, length) };
  }

  /** Runs authenticate and UI round-trips until the method gives a step the side acts on. */
  private resolve(first: RunnerStep): RunnerStep {
    let step = first;
    for (;;) {
      if (step.kind !== 'output' || this.ended) return step;
      const output = step.output;
      if (output.invokeInteractiveUi !== undefined) {
        const next = this.startUi(output.invokeInteractiveUi);
        if (next === undefined) return { kind: 'pending', waitingFor: 'ui' };
        step = next;
        continue;
      }
      if (output.pendingWork !== undefined) {
        const work = output.pendingWork;
        const next = this.roundTrip('work', (complete) =>
          work.whenDone(() =>
            complete({ authenticator: this.hooks.authenticator, workComplete: true }),
          ),
        );
        if (next === undefined) return { kind: 'pending', waitingFor: 'work' };
        step = next;
        continue;
      }
      if (output.action === EapAction.Authenticate) {
        const next = this.startProvider(output.userAttributes ?? []);
        if (next === undefined) return { kind: 'pending', waitingFor: 'provider' };
        step = next;
        continue;
      }
      return step;
    }
  }

  /** Returns the step if the provider answered synchronously, undefined if it will answer later. */
  private startProvider(attributes: readonly AuthAttribute[]): RunnerStep | undefined {
    const provider = this.hooks.provider;
    if (provider === undefined || !this.hooks.authenticator) {
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: this.hooks.authenticator
          ? 'authenticate action but no authentication provider is configured'
          : 'authenticate action on the peer side',
      };
    }
    return this.roundTrip('provider', (complete) =>
      provider.authenticate(
        { identity: this.hooks.identity(), method: this.method.info, attributes },
        (result) =>
          complete({
            authenticator: this.hooks.authenticator,
            authenticationComplete: true,
            authResultCode: result.resultCode,
            ...(result.attributes === undefined ? {} : { userAttributes: result.attributes }),
          }),
      ),
    );
  }

  private startUi(request: InteractiveUiRequest): RunnerStep | undefined {
    const ui = this.hooks.ui;
    if ((this.hooks.flags & RasEapFlag.NonInteractive) !== 0 || ui === undefined) {
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_INTERACTIVE_MODE,
        reason: 'the method asked for the interactive UI in a non-interactive session',
      };
    }
    return this.roundTrip('ui', (complete) =>
      ui.invoke(this.method.info, request, (result) => {
        if ('cancelled' in result) {
          complete(undefined);
          return;
        }
        // Deliberate copy: the UI may reuse its buffer (RAS frees it after the call).
        complete({
          authenticator: this.hooks.authenticator,
          dataFromInteractiveUi: result.data.slice(),
        });
      }),
    );
  }

  /**
   * Starts a round-trip whose answer re-enters the method with `input`
   * (undefined: the user cancelled, which ends the session with 1223).
   */
  private roundTrip(
    what: 'provider' | 'ui' | 'work',
    start: (complete: (input: EapInput | undefined) => void) => void,
  ): RunnerStep | undefined {
    let settled = false;
    let synchronous = true;
    let immediate: RunnerStep | undefined;
    const complete = (input: EapInput | undefined): void => {
      if (settled || this.ended) {
        this.staleCompletions++;
        return;
      }
      settled = true;
      this.waiting = undefined;
      const next: RunnerStep =
        input === undefined
          ? {
              kind: 'end',
              resultCode: EapResultCode.ERROR_CANCELLED,
              reason: 'the user cancelled the interactive UI',
            }
          : this.invoke(null, input);
      if (synchronous) immediate = next;
      else this.hooks.onLateStep(this.resolve(next));
    };
    this.waiting = what;
    try {
      start(complete);
    } catch (error) {
      settled = true;
      this.waiting = undefined;
      return {
        kind: 'end',
        resultCode: EapResultCode.ERROR_AUTH_INTERNAL,
        reason: `${what} threw: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    synchronous = false;
    return immediate;
  }
}
