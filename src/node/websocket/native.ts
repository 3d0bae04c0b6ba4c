/**
 * Optional native help for the WebSocket hot loops. bufferutil (the `ws`
 * project's masking addon, prebuilt binaries in the package) is used when it
 * is installed and its native part loads; otherwise netrx's own word-wise
 * loop runs, which is correct everywhere and within ~4x of native.
 */
import { createRequire } from 'node:module';
import {
  maskInPlace,
  maskInto,
  type MaskFunction,
  type MaskIntoFunction,
} from '../../wire/websocket/index.js';

interface NativeMasker {
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
}

/** Below this size the call into native code costs more than it saves. */
const NATIVE_ABOVE = 256;

function loadBufferutil(): NativeMasker | undefined {
  try {
    const require = createRequire(import.meta.url);
    const addon = require('bufferutil') as NativeMasker;
    // bufferutil falls back to plain JavaScript when its binary does not load: skip that.
    const fallback = require('bufferutil/fallback') as NativeMasker;
    return addon === fallback ? undefined : addon;
  } catch {
    return undefined;
  }
}

const native = loadBufferutil();
const rotated = new Uint8Array(4);

/** `key` rotated to start at byte `phase` (bufferutil's loops always start at key byte 0). */
function keyAt(key: Uint8Array, phase: number): Uint8Array {
  if (phase === 0) return key;
  for (let i = 0; i < 4; i++) rotated[i] = key[(i + phase) & 3] as number;
  return rotated;
}

/** The mask function handles should use: native when available, else `maskInPlace`. */
export const fastMask: MaskFunction =
  native === undefined
    ? maskInPlace
    : (data, key, phase) => {
        if (data.length < NATIVE_ABOVE) return maskInPlace(data, key, phase);
        native.unmask(data, keyAt(key, phase));
        return (phase + data.length) & 3;
      };

/**
 * Unmasking while copying (`maskInto`'s contract), as decoding a message
 * straight into its assembly buffer does: a copy (`set`, libc's memcpy) and
 * then bufferutil's in-place `unmask` over the target, while those bytes
 * (one socket read, at most 64 KiB) are still in cache. bufferutil's
 * one-pass `mask(source, key, target, …)` reads and writes each byte once
 * but in a plain 8-byte loop, and cost the server more CPU per MiB than the
 * two fast passes (docs/performance.md, the server-CPU mode).
 */
export const fastMaskInto: MaskIntoFunction =
  native === undefined
    ? maskInto
    : (source, target, key, phase) => {
        const length = source.length;
        if (length < NATIVE_ABOVE) return maskInto(source, target, key, phase);
        if (target.length < length) return maskInto(source, target, key, phase); // its RangeError
        const out = target.length === length ? target : target.subarray(0, length);
        out.set(source);
        native.unmask(out, keyAt(key, phase));
        return (phase + length) & 3;
      };

/** Whether the native masker is in use (for benchmarks and docs). */
export const nativeMaskLoaded = native !== undefined;

/** Uninitialised memory for buffers the component fills entirely before use. */
export const allocateUnsafe = (size: number): Uint8Array => Buffer.allocUnsafe(size);
