/**
 * netrx/trace: the ETW-like provider API every module writes through.
 *
 * A provider has a GUID and a name and writes events: a descriptor (id,
 * version, level 1 critical … 5 verbose, opcode, task, 64-bit keywords) plus a
 * payload of bytes, stamped by the registry's clock. Listeners enable a
 * provider with a level and match-any/match-all keyword masks, following ETW's
 * rules exactly, and optional filter data the provider reads in its enable
 * callback (`onEnable`, `listeners()`). That is how a provider filters for
 * each session without its consumers knowing its protocol: the packet-capture
 * provider in netrx/link reads its EtherType, address and truncation filters
 * there, on the adapter's capture taps, so netrx/capture knows providers,
 * not protocols.
 *
 * While no listener wants an event, `isEnabled` is false and `write` costs one
 * branch. Delivery is synchronous; there is no queue here: listeners own their
 * bounds, and a listener that throws is counted, never allowed to break the
 * writer. Encoding never throws either (`emit` cuts an over-long string and
 * marks it, and counts what it mended in `payloadFaults`), since events are
 * written from inside data paths.
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
  MAX_STRING_BYTES,
  TRUNCATION_MARK,
  type DecodedPayload,
  type FieldSpec,
  type FieldType,
  type FieldValue,
  type PayloadFaults,
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
