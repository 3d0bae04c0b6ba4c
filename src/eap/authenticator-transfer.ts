/**
 * Moving an authenticator's session between processes: which sessions can
 * be saved (awaiting the peer's Response, no provider call or TLS work in
 * progress, every method proposed so far able to save), and how saved bytes
 * become the methods and work state of a session again. The byte format is
 * `authenticator-snapshot.ts`; the session's own fields stay in
 * `authenticator.ts`, which applies what `restoreParts` returns.
 */
import type { AuthAttribute } from './attributes.js';
import type { EapMethod } from './contract.js';
import type { EapAuthenticatorOptions } from './authenticator-options.js';
import {
  decodeAuthenticatorSnapshot,
  encodeAuthenticatorSnapshot,
  type AuthenticatorSnapshot,
  type SnapshotOutstanding,
} from './authenticator-snapshot.js';

/** The EAP type of the expanded methods, which carry no type a snapshot could name. */
const EXPANDED_TYPE = 254;

/** What `takeSnapshot` reads of a session. */
export interface SnapshotSource {
  readonly outstanding: SnapshotOutstanding | undefined;
  readonly ended: boolean;
  /** A provider call, UI or TLS work is in progress. */
  readonly busy: boolean;
  readonly tried: ReadonlySet<EapMethod>;
  readonly selected: EapMethod<unknown> | undefined;
  readonly workState: unknown;
  readonly lastRequestId: number | undefined;
  readonly lastResponseId: number | undefined;
  readonly rounds: number;
  readonly retransmissions: number;
  readonly identity: string | undefined;
  readonly providerAttributes: readonly AuthAttribute[];
}

/** The session as bytes, or undefined when it cannot move now (see `EapAuthenticator.snapshot`). */
export function takeSnapshot(source: SnapshotSource): Uint8Array | undefined {
  const outstanding = source.outstanding;
  if (source.ended || outstanding === undefined || source.busy) return undefined;
  const tried = [...source.tried];
  if (tried.some((m) => m.info.type === EXPANDED_TYPE)) return undefined;
  let methodState: Uint8Array | undefined;
  if (outstanding.kind === 'method') {
    const selected = source.selected as EapMethod<unknown>;
    methodState = selected.saveState?.(source.workState);
    if (methodState === undefined) return undefined;
    // The selected method goes last: restoreParts finds it there.
    tried.splice(tried.indexOf(selected), 1);
    tried.push(selected);
  }
  return encodeAuthenticatorSnapshot({
    outstanding,
    lastRequestId: source.lastRequestId,
    lastResponseId: source.lastResponseId,
    rounds: source.rounds,
    retransmissions: source.retransmissions,
    identity: source.identity,
    tried: tried.map((m) => m.info.type),
    providerAttributes: source.providerAttributes,
    methodState,
  });
}

export interface RestoredParts {
  readonly snapshot: AuthenticatorSnapshot;
  /** The methods proposed so far, in order (the selected one last when a method Request is outstanding). */
  readonly methods: readonly EapMethod[];
  /** The selected method and its restored work state, when a method Request is outstanding. */
  readonly running: { readonly method: EapMethod; readonly workState: unknown } | undefined;
}

/** Saved bytes as methods of `options.methods` and a restored work state; undefined if they do not fit. Never throws. */
export function restoreParts(
  options: EapAuthenticatorOptions,
  saved: Uint8Array,
): RestoredParts | undefined {
  const snapshot = decodeAuthenticatorSnapshot(saved);
  if (snapshot === undefined) return undefined;
  const methods: EapMethod[] = [];
  for (const type of snapshot.tried) {
    const method = options.methods.find((m) => m.info.type === type && type !== EXPANDED_TYPE);
    if (method === undefined || methods.includes(method)) return undefined;
    methods.push(method);
  }
  if (snapshot.outstanding.kind !== 'method') return { snapshot, methods, running: undefined };
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
  return { snapshot, methods, running: { method, workState } };
}
