/**
 * Bytes in and out of `WebSocket`: what `send` accepts and how a received
 * binary message is handed over for each `binaryType`.
 */

/** `ws`'s three, WHATWG's `'blob'`, and netrx's `'uint8array'` (a plain view). */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob' | 'uint8array';

const BINARY_TYPES: ReadonlySet<string> = new Set([
  'nodebuffer',
  'arraybuffer',
  'fragments',
  'blob',
  'uint8array',
]);

export function isBinaryType(value: unknown): value is BinaryType {
  return typeof value === 'string' && BINARY_TYPES.has(value);
}

export type SendData = string | number | ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

/** What a `'message'` listener gets: a Buffer for text; for binary, as `binaryType` says. */
export type RawData = Buffer | ArrayBuffer | Buffer[] | Uint8Array | Blob;

/**
 * The payload bytes of `data` and whether it is text by nature. A view
 * over the caller's memory, not a copy (strings and numbers are encoded).
 */
export function toPayload(data: SendData): { bytes: Uint8Array; text: boolean } {
  if (typeof data === 'string') return { bytes: Buffer.from(data, 'utf8'), text: true };
  // `ws` sends numbers as their decimal text (the round-trip example sends Date.now()).
  if (typeof data === 'number') return { bytes: Buffer.from(String(data), 'utf8'), text: true };
  if (data instanceof Uint8Array) return { bytes: data, text: false };
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) {
    return { bytes: new Uint8Array(data), text: false };
  }
  if (ArrayBuffer.isView(data)) {
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), text: false };
  }
  throw new TypeError(
    'The data to send must be a string, a number, a Buffer, an ArrayBuffer or a typed array',
  );
}

/** A control frame's payload (ping/pong data): `ws` takes the same kinds as `send`. */
export function toControlPayload(data: SendData | undefined): Uint8Array {
  return data === undefined ? EMPTY_BUFFER : toPayload(data).bytes;
}

export const EMPTY_BUFFER = Buffer.alloc(0);

/** A received binary message as `binaryType` asks. `data` is a view; converting may copy. */
export function binaryPayload(
  data: Buffer,
  binaryType: BinaryType,
): Buffer | ArrayBuffer | Uint8Array | Buffer[] | Blob {
  switch (binaryType) {
    case 'nodebuffer':
      return data;
    case 'arraybuffer':
      return toArrayBuffer(data);
    case 'uint8array':
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    case 'fragments':
      // netrx assembles messages before they reach here: one fragment.
      return [data];
    case 'blob':
      return new Blob([data]);
  }
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return data.buffer as ArrayBuffer;
  }
  // A view into a larger read: the ArrayBuffer must be the message only (a deliberate copy).
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}
