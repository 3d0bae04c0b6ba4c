/**
 * netrx: the receive side of a network stack. Each module is also its own
 * subpath export (`netrx/receive`, `netrx/trace`, …); this root re-exports the
 * foundation as namespaces for quick exploration.
 */
export * as bytes from './bytes/index.js';
export * as receive from './receive/index.js';
export * as runtime from './runtime/index.js';
export * as trace from './trace/index.js';
export * as wire from './wire/index.js';
