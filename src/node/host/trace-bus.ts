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

/** The trace bus's line in `started` (read when shown, so never stale). */
export function traceBusEntry(trace: TraceRegistry): { readonly name: string; detail: string } {
  return {
    name: 'trace',
    get detail() {
      return `trace bus with ${traceProviderCount(trace)} provider(s)`;
    },
  };
}
