/**
 * Choosing and starting the authenticator's methods (RFC 4137
 * PROPOSE_METHOD): the next method in policy order the peer accepts, its
 * `begin` with the session's identity and the next Identifier, and the
 * resend a method owes on a timeout (RFC 3748 §4.3: the same Request, the
 * same Identifier). Pure functions of their arguments; the state machine
 * in `authenticator.ts` acts on what they answer.
 */
import { EapCode, EapType, emitEap } from '../wire/eap.js';
import { methodMatches, type EapMethod } from './contract.js';
import type { AuthAttribute } from './attributes.js';
import type { EapAuthenticatorOptions } from './authenticator-options.js';
import { MethodRunner, type RunnerHooks, type RunnerStep } from './method-runner.js';
import type { Desired } from './nak.js';
import { EapResultCode } from './result-codes.js';

const NO_DATA = new Uint8Array(0);

/** The first method of `methods` not tried yet that the peer's Nak (if any) accepts. */
export function nextMethod(
  methods: readonly EapMethod[],
  tried: ReadonlySet<EapMethod>,
  desired: readonly Desired[] | undefined,
): EapMethod | undefined {
  return methods.find(
    (m) =>
      !tried.has(m) &&
      (desired === undefined || desired.some((d) => methodMatches(m.info, d.type, d.expanded))),
  );
}

export type MethodBegin =
  | { readonly ok: true; readonly workState: unknown }
  | { readonly ok: false; readonly resultCode: number; readonly reason: string };

/** Calls the method's `begin` for the authenticator side; a throw becomes a failure (its `number` kept). */
export function beginMethod(
  method: EapMethod,
  identity: string | undefined,
  initialId: number,
  flags: number | undefined,
): MethodBegin {
  try {
    const workState = method.begin({
      authenticator: true,
      ...(identity === undefined ? {} : { identity }),
      initialId,
      ...(flags === undefined ? {} : { flags }),
    });
    return { ok: true, workState };
  } catch (error) {
    const n = (error as { number?: unknown } | null)?.number;
    return {
      ok: false,
      resultCode: typeof n === 'number' ? n : EapResultCode.ERROR_AUTH_INTERNAL,
      reason: `method begin failed: ${(error as Error).message}`,
    };
  }
}

/** Encodes the Request/Identity into `buffer` (again for a retransmission: the buffer may be shared). */
export function identityRequest(buffer: Uint8Array, identifier: number): Uint8Array {
  const length = emitEap(
    { code: EapCode.Request, identifier, type: EapType.Identity, typeData: NO_DATA },
    buffer,
  );
  return buffer.subarray(0, length);
}

/** The bytes of the method's resend of Request `identifier`, or why the step is not that resend. */
export function resentRequest(
  step: RunnerStep,
  identifier: number,
):
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: string } {
  if (
    step.kind === 'output' &&
    step.packet !== undefined &&
    step.bytes !== undefined &&
    step.packet.code === EapCode.Request &&
    step.packet.identifier === identifier
  ) {
    return { ok: true, bytes: step.bytes };
  }
  return {
    ok: false,
    reason: `method did not resend Request ${identifier} on timeout (RFC 3748 §4.3: same Identifier)`,
  };
}

/** How a method's runner reaches back into its authenticator's session. */
export interface RunnerSession {
  readonly identity: () => string | undefined;
  /** The provider's attributes of its last answer (merged into a success's). */
  readonly providerAttributes: (attributes: readonly AuthAttribute[]) => void;
  readonly observe: RunnerHooks['observe'];
  /** A step that completes later (provider, UI, TLS work) goes through SELECT_ACTION too. */
  readonly onLateStep: (step: RunnerStep) => void;
}

/** A runner for `method` on the authenticator side, its provider's answers recorded in the session. */
export function authenticatorRunner(
  method: EapMethod,
  workState: unknown,
  sendBuffer: Uint8Array,
  options: EapAuthenticatorOptions,
  session: RunnerSession,
): MethodRunner<unknown> {
  const provider = options.provider;
  return new MethodRunner(method, workState, sendBuffer, {
    authenticator: true,
    identity: session.identity,
    flags: options.flags ?? 0,
    provider: provider
      ? {
          authenticate: (request, complete) =>
            provider.authenticate(request, (result) => {
              session.providerAttributes(result.attributes ?? []);
              complete(result);
            }),
        }
      : undefined,
    ui: options.ui,
    observe: session.observe,
    onLateStep: session.onLateStep,
  });
}
