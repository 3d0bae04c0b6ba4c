/**
 * netrx/trace: the ETW-like provider API every module writes through.
 *
 * A provider has a GUID and a name and writes events: a descriptor (id,
 * version, level 1 critical … 5 verbose, opcode, task, 64-bit keywords) plus a
 * payload of bytes, stamped by the registry's clock. Listeners enable a
 * provider with a level and match-any/match-all keyword masks, following ETW's
 * rules exactly, and optional filter data the provider reads in its enable
 * callback (the packet-capture provider in netrx/link filters frames that way,
 * so netrx/capture knows providers, not protocols).
 *
 * While no listener wants an event, `isEnabled` is false and `write` costs one
 * branch. Delivery is synchronous; there is no queue here: listeners own their
 * bounds (netrx/capture keeps a bounded queue and counts what it loses), and a
 * listener that throws is counted, never allowed to break the writer.
 */
export { defineEvent, TraceOpcode, type EventDescriptor } from './descriptor.js';
export {
  ALL_KEYWORDS,
  passes,
  TraceLevel,
  type EnableFilter,
  type TraceLevelName,
} from './level.js';
export {
  decodePayload,
  encodePayload,
  type DecodedPayload,
  type FieldSpec,
  type FieldType,
  type FieldValue,
  type PayloadValues,
} from './payload.js';
export {
  TraceProvider,
  type EnableCallback,
  type EnableNotification,
  type TraceEvent,
  type TraceListener,
  type TraceProviderInfo,
  type TraceSessionView,
} from './provider.js';
export { TraceRegistry, type EnableOptions, type TraceSubscription } from './registry.js';
