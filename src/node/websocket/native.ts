/**
 * Optional native help for the WebSocket hot loops. bufferutil (the `ws`
 * project's masking addon, prebuilt binaries in the package) is used when it
 * is installed and its native part loads; otherwise netrx's own word-wise
 * loop runs, which is correct everywhere and within ~4x of native.
 */
import { createRequire } from 'node:module';
import { maskInPlace, type MaskFunction } from '../../wire/websocket/index.js';

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

/** The mask function handles should use: native when available, else `maskInPlace`. */
export const fastMask: MaskFunction =
  native === undefined
    ? maskInPlace
    : (data, key, phase) => {
        if (data.length < NATIVE_ABOVE) return maskInPlace(data, key, phase);
        let k = key;
        if (phase !== 0) {
          for (let i = 0; i < 4; i++) rotated[i] = key[(i + phase) & 3] as number;
          k = rotated;
        }
        native.unmask(data, k);
        return (phase + data.length) & 3;
      };

/** Whether the native masker is in use (for benchmarks and docs). */
export const nativeMaskLoaded = native !== undefined;

/** Uninitialised memory for buffers the component fills entirely before use. */
export const allocateUnsafe = (size: number): Uint8Array => Buffer.allocUnsafe(size);
