/**
 * The adapter's inner loop (adapter.ts): one admitted frame offered to each
 * open binding whose packet filter and EtherTypes pass it, each with its own
 * `Indication` for the nesting depth, isolated (a handler that throws is
 * counted and traced, and the rest still run), its verdict counted and,
 * only when a session listens, traced. Runs for every frame: no allocation
 * beyond the debug copy `poison` asks for.
 */
import type { TraceProvider } from '../trace/index.js';
import { traceFailure } from './adapter-failures.js';
import type { Binding } from './binding.js';
import { LinkEvent } from './events.js';
import type { FrameMeta } from './indication.js';
import { filterPasses } from './packet-filter.js';

/** What each byte of a view handed out under `debugPoisonViews` becomes once the handler returns. */
const POISON = 0xdd;

/** Returns how many bindings accepted `frame`. */
export function dispatchToBindings(
  bindings: readonly Binding[],
  frame: Uint8Array,
  meta: FrameMeta,
  depth: number,
  poison: boolean,
  trace: TraceProvider | undefined,
): number {
  const etherType = meta.etherType;
  const destination = meta.destination;
  let accepts = 0;
  for (const binding of bindings) {
    if (!binding.open) continue;
    if (
      !filterPasses(binding.packetFilter, destination, frame, binding.multicast) ||
      (binding.etherTypes !== undefined && !binding.etherTypes.has(etherType))
    ) {
      binding.filtered++;
      continue;
    }
    const view = poison ? frame.slice() : frame;
    const indication = binding.begin(depth, view, meta);
    const retainsBefore = indication.retains;
    let verdict: 'accepted' | 'not-accepted' = 'not-accepted';
    try {
      verdict = binding.protocol.receive(indication);
    } catch (error) {
      binding.handlerErrors++;
      traceFailure(trace, binding.name, error);
    }
    indication.end();
    // A retained copy is the binding's to keep: poison only what it may not hold.
    if (poison && indication.retains === retainsBefore) view.fill(POISON);
    binding.indicated++;
    binding.periodIndicated++;
    binding.pendingComplete = true;
    const event = verdict === 'accepted' ? LinkEvent.frameAccepted : LinkEvent.frameRejected;
    if (verdict === 'accepted') {
      binding.accepted++;
      binding.periodAccepted++;
      accepts++;
    } else {
      binding.rejected++;
    }
    // Checked before building the payload object: this runs for every frame.
    if (trace?.isEnabled(event.level, event.keywords)) {
      trace.emit(event, { binding: binding.name, etherType, length: frame.length });
    }
  }
  return accepts;
}
