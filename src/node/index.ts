/**
 * netrx/node: the only home of Node APIs in netrx. It supplies what the cores
 * are given by injection (the real clock, node:crypto) and the adapters that
 * connect cores to sockets, files and HTTP. Each capability adds its adapters
 * in a subfolder (node/link, node/port, node/websocket, node/radius,
 * node/capture, node/cluster for NATS JetStream); `host` is `netrx up`.
 */
export * from './runtime/index.js';
export * from './host/index.js';
export * from './link/index.js';
export * from './websocket/index.js';
export * from './port/index.js';
export * from './eap/index.js';
export * from './certs/index.js';
export * from './capture/index.js';
export * from './radius/index.js';
export * from './cluster/index.js';
