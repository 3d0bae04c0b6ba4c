/**
 * netrx/websocket/portable: what a host without Node needs beside the core
 * (`netrx/websocket`) to run a handle in Deno, Bun, a browser or a worker:
 * permessage-deflate in pure JavaScript (pako behind the `DeflateCodec`
 * seam) and a `Crypto` over the host's random source with SHA-1 for the
 * handshake. Kept out of the core index so that Node users, who have
 * node:zlib, do not load pako. Like the core, it imports nothing from Node:
 * test/interop/runtimes-bundle.test.ts bundles it with esbuild for the
 * `neutral` platform and fails on any Node built-in.
 */
export {
  createPakoDeflateCodec,
  pakoDeflateCodec,
  type PakoDeflateCodecOptions,
} from './pako-codec.js';
export { createPortableCrypto, sha1 } from './portable-crypto.js';
