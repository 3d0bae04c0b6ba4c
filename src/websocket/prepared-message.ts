/**
 * A message framed once for many receivers (a broadcast): the wire bytes of
 * an unmasked frame are the same for every server-side connection, so they
 * are built once and handed to each connection's send queue as they are.
 *
 * permessage-deflate. A receiver whose server side keeps its compression
 * context (no `server_no_context_takeover`) must compress with its own
 * window, so it gets its own compression (a plain `send`). Receivers without
 * context takeover compress every message from an empty window: the output
 * depends only on the data and the window bits (and the codec's level,
 * which is the server's for all of them), so it is computed once per window
 * size, by the first such receiver's session, and shared. A receiver that
 * negotiated no deflate, or whose threshold says the message is too short to
 * compress, gets the plain frame.
 *
 * Memory: `prepare` copies the data once into the plain frame (header and
 * payload in one buffer), so the caller may reuse its buffer at once; every
 * variant is owned by the message and never written again after it is
 * built, so the same bytes may sit in many sockets' queues at once.
 */
import { encodeFrame, Opcode } from '../wire/websocket/index.js';
import type { PerMessageDeflateSession } from './permessage-deflate.js';

export type PreparedMessageType = 'utf8' | 'binary';

/** What a connection sends for a prepared message. */
export type PreparedFrames =
  /** Shared bytes, written as they are. */
  | { readonly kind: 'framed'; readonly bytes: Uint8Array }
  /** This connection frames (and compresses) the payload itself: a client, or context takeover. */
  | { readonly kind: 'own'; readonly payload: Uint8Array };

export class PreparedMessage {
  readonly type: PreparedMessageType;
  /** The plain frame: header and the copied payload in one buffer. */
  private readonly plain: Uint8Array;
  private readonly headerLength: number;
  /** Compressed frames, by the deflater's window bits (made on first need). */
  private compressed: Map<number, Uint8Array> | undefined;
  /** How many times a frame was compressed for this message (tests and benchmarks read it). */
  compressions = 0;

  constructor(type: PreparedMessageType, data: Uint8Array) {
    this.type = type;
    // The one deliberate copy: the caller's buffer is free when this returns.
    this.plain = encodeFrame({ opcode: opcodeOf(type), fin: true, rsv1: false, payload: data });
    this.headerLength = this.plain.length - data.length;
  }

  /** The payload (a view of the plain frame: never modify it). */
  get payload(): Uint8Array {
    return this.plain.subarray(this.headerLength);
  }

  /** The payload's length in bytes. */
  get length(): number {
    return this.plain.length - this.headerLength;
  }

  /**
   * The frames for a connection: `masked` for a client (each frame needs
   * its own mask), `deflate` its negotiated session, if any.
   */
  framesFor(masked: boolean, deflate: PerMessageDeflateSession | undefined): PreparedFrames {
    const bytes = this.sharedFrameFor(masked, deflate);
    return bytes === undefined ? { kind: 'own', payload: this.payload } : { kind: 'framed', bytes };
  }

  /**
   * The shared bytes a connection sends as they are, or undefined when it
   * must frame the payload itself (a client; context takeover). No object
   * per call: a broadcast asks once per receiver.
   */
  sharedFrameFor(
    masked: boolean,
    deflate: PerMessageDeflateSession | undefined,
  ): Uint8Array | undefined {
    if (masked) return undefined;
    if (deflate === undefined || !deflate.shouldCompress(this.length)) return this.plain;
    const windowBits = deflate.sharedDeflateWindowBits;
    if (windowBits === undefined) return undefined;
    this.compressed ??= new Map();
    let bytes = this.compressed.get(windowBits);
    if (bytes === undefined) {
      this.compressions++;
      const payload = deflate.deflate(this.payload);
      bytes = encodeFrame({ opcode: opcodeOf(this.type), fin: true, rsv1: true, payload });
      this.compressed.set(windowBits, bytes);
    }
    return bytes;
  }
}

function opcodeOf(type: PreparedMessageType): number {
  return type === 'utf8' ? Opcode.Text : Opcode.Binary;
}
