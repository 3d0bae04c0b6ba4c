/**
 * What peer and authenticator share: the session result, drop counting with
 * tracing, state tracing, and the method-result trace.
 */
import type { TraceProvider, TraceRegistry } from '../trace/index.js';
import type { AuthAttribute } from './attributes.js';
import { isMethodError, type EapMakeMessageResult } from './contract.js';
import { EAP_PROVIDER, EapEventDescriptor } from './events.js';

export type EapOutcome = 'success' | 'failure' | 'timeout' | 'error';

/** How a session ended. */
export interface EapSessionResult {
  readonly outcome: EapOutcome;
  /** 0 on success; else the raserror/winerror number (691 failure, 638 timeout, …). */
  readonly resultCode: number;
  readonly reason: string;
  /** The method that ran last, if any. */
  readonly method: string | undefined;
  /**
   * The identity authenticated: the peer's EAP identity, or for a tunnel
   * method (PEAP, TTLS) the inner identity it checked (the outer one may be
   * anonymous; it is then in `outerIdentity`).
   */
  readonly identity: string | undefined;
  /** The outer EAP identity when it differs from `identity` (PEAP/TTLS with an anonymous outer identity). */
  readonly outerIdentity?: string | undefined;
  /** On success: the method's attributes (MS-MPPE keys) over the provider's of the same type. */
  readonly attributes: readonly AuthAttribute[];
}

/** Default `sendCapacity`: the EAP MTU every lower layer must carry (RFC 3748 §3.1). */
export const DEFAULT_SEND_CAPACITY = 1020;
/** Bound on distinct drop reasons kept in `stats().dropped` (the rest count under `other`). */
const MAX_DROP_REASONS = 32;

let nextSessionId = 1;

/** @internal */
export class SessionTrace {
  readonly session: number;
  readonly role: 'peer' | 'authenticator';
  private readonly provider: TraceProvider | undefined;
  /** Drops by reason, made at the first drop (most sessions have none). */
  private dropped: Map<string, number> | undefined;
  droppedTotal = 0;

  constructor(
    role: 'peer' | 'authenticator',
    registry: TraceRegistry | undefined,
    session?: number,
  ) {
    this.role = role;
    this.session = session ?? nextSessionId++;
    this.provider = registry?.register(EAP_PROVIDER);
  }

  state(from: string, to: string): void {
    this.provider?.emit(EapEventDescriptor.stateChanged, {
      session: this.session,
      role: this.role,
      from,
      to,
    });
  }

  drop(reason: string, identifier: number | undefined): void {
    this.droppedTotal++;
    const dropped = (this.dropped ??= new Map());
    const key = dropped.has(reason) || dropped.size < MAX_DROP_REASONS ? reason : 'other';
    dropped.set(key, (dropped.get(key) ?? 0) + 1);
    this.provider?.emit(EapEventDescriptor.packetDropped, {
      session: this.session,
      role: this.role,
      reason,
      identifier: identifier ?? 0xffffffff,
    });
  }

  methodResult(
    method: string,
    result: EapMakeMessageResult | { error: number; reason: string },
  ): void {
    const provider = this.provider;
    if (provider === undefined) return;
    const error = isMethodError(result);
    provider.emit(EapEventDescriptor.methodResult, {
      session: this.session,
      role: this.role,
      method,
      action: error ? 'error' : result.action,
      error: error ? result.error : 0,
      resultCode: error ? 0 : (result.authResultCode ?? 0),
      reason: result.reason ?? '',
    });
  }

  retransmitted(identifier: number, attempt: number, nextTimeoutMs: number): void {
    this.provider?.emit(EapEventDescriptor.retransmitted, {
      session: this.session,
      role: this.role,
      identifier,
      attempt,
      nextTimeoutMs: Math.round(nextTimeoutMs),
    });
  }

  ended(result: EapSessionResult): void {
    this.provider?.emit(EapEventDescriptor.sessionEnded, {
      session: this.session,
      role: this.role,
      outcome: result.outcome,
      resultCode: result.resultCode,
      method: result.method ?? '',
    });
  }

  dropCounts(): Readonly<Record<string, number>> {
    return this.dropped === undefined ? {} : Object.fromEntries(this.dropped);
  }
}

/** Attributes of a successful session: the method's override the provider's of the same type. */
export function mergeAttributes(
  provider: readonly AuthAttribute[],
  method: readonly AuthAttribute[],
): readonly AuthAttribute[] {
  if (method.length === 0) return provider;
  const key = (a: AuthAttribute): string =>
    'vendorId' in a ? `${a.type}/${a.vendorId}/${a.vendorType}` : `${a.type}`;
  const overridden = new Set(method.map(key));
  return [...provider.filter((a) => !overridden.has(key(a))), ...method];
}
