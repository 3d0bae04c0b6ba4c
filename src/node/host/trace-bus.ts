/**
 * The host's trace bus as the operator sees it. The startup line, the
 * dashboard's Services panel, `/health` and `/metrics` all count its
 * providers here, at the moment they are read: a service may register one
 * after the host started (review L4: the line said 8 where `/health` said 9).
 */
import type { TraceRegistry } from '../../trace/index.js';

export function traceProviderCount(trace: TraceRegistry): number {
  return trace.providers().length;
}

/**
 * The trace bus's line in `started` (read when shown, so never stale).
 * `known`: the providers the host may carry (its manifest, which the
 * dashboard's provider filter lists): the line says both, since services
 * register theirs as they run, so the printed line and a later `/health`
 * need not agree on the first (review L4: 8 printed, 10 in `/health`, 13 in
 * the filter, with nothing saying why).
 */
export function traceBusEntry(
  trace: TraceRegistry,
  known: number,
): { readonly name: string; detail: string } {
  return {
    name: 'trace',
    get detail() {
      return `trace bus: ${traceProviderCount(trace)} of ${known} provider(s) registered so far`;
    },
  };
}
