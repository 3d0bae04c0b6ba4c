// TEMP STUB
import type { DeflateCodec } from './deflate-codec.js';
import type { PerMessageDeflateParams } from './extensions.js';
export class PerMessageDeflateSession {
  constructor(
    readonly o: {
      params: PerMessageDeflateParams;
      role: 'client' | 'server';
      codec: DeflateCodec;
      maxMessageSize: number;
      threshold: number;
    },
  ) {}
  inflate(
    piece: Uint8Array,
    last: boolean,
  ):
    | { ok: true; chunks: readonly Uint8Array[]; length: number }
    | { ok: false; closeCode: number; code: string; message: string } {
    return { ok: true, chunks: [piece], length: last ? 0 : 0 };
  }
  deflate(m: Uint8Array): Uint8Array {
    return m;
  }
  shouldCompress(n: number): boolean {
    return n > this.o.threshold;
  }
  close(): void {}
}
