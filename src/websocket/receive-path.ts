/**
 * The receive half of a handle: turns the decoder's frame events into the
 * indications one receive operation completes with.
 *
 * Three ways to hand data out, chosen by the operation: into the caller's
 * buffer (the decoder unmasks straight into it; a full buffer or the end of
 * what has arrived completes the operation as a fragment); as views of the
 * chunk, piece by piece (websocket.dll's NULL buffer); or, with
 * `assembleMessages`, as whole messages (a view when the message came in
 * one frame inside one chunk, otherwise one buffer that grows with what
 * arrives, or, with `retainLentChunks`, the lent pieces held and gathered
 * once into an exact-size buffer: a header's announced length reserves
 * nothing either way). Control frames
 * never interrupt a message: pings are answered through the host, pongs and
 * the close are indicated after any partial data has been handed out.
 */
import { ProtocolError } from '../runtime/index.js';
import {
  CloseCode,
  FrameDecoder,
  Opcode,
  ReservedBit,
  parseClosePayload,
  type FrameEvent,
  type FrameHeader,
} from '../wire/websocket/index.js';
import { EMPTY_BYTES } from '../wire/websocket/empty.js';
import { maskersFor, type Maskers } from '../wire/websocket/frame.js';
import type { BufferType } from './actions.js';
import type { ResolvedProperties } from './properties.js';
import { HeldPieces, MAX_HELD, MAX_HELD_INFLATED, assemblySize } from './receive-held.js';
import { InflateStage, type MessageInflater } from './receive-inflate.js';
import {
  closeIndication,
  connectionLost,
  indication,
  wireCode,
  type Indication,
  type ReceiveHost,
  type ReceiveOperation,
  type ReceivePathOptions,
} from './receive-types.js';
import { TextCheck } from './receive-utf8.js';

export type { MessageInflater } from './receive-inflate.js';
export type {
  Indication,
  ReceiveHost,
  ReceiveOperation,
  ReceivePathOptions,
} from './receive-types.js';

export class ReceivePath<Owner> {
  private decoder: FrameDecoder;
  private readonly properties: ResolvedProperties;
  private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  /** One shared object for the injected mask functions (not two fields per connection). */
  private readonly maskers: Maskers;
  private readonly allocate: (size: number) => Uint8Array;
  private readonly owner: Owner;
  private readonly host: ReceiveHost<Owner>;
  /** Compressed frames held and inflated in steps (permessage-deflate only). */
  private inflateStage: InflateStage | undefined;

  // The message being received.
  private text = false;
  private compressed = false;
  private fragments = 0;
  private size = 0;
  /** UTF-8 checking, made on the first text message. */
  private textCheck: TextCheck | undefined;
  // The frame being received.
  private control: FrameHeader | undefined;
  private dataFrame = false;
  private frameFin = false;
  // Message assembly (assembleMessages, no caller buffer).
  private assembly: Uint8Array = EMPTY_BYTES;
  private assembled = 0;
  /**
   * Pieces of lent chunks (or stable inflated output) held until the
   * message ends, then gathered once (`retainLentChunks`); made on first need.
   */
  private held: HeldPieces | undefined;
  /** Whether the chunk being decoded was lent by a host that never reuses it. */
  private lent = false;
  /** Bytes this step may still inflate or gather (`receiveStepBytes`). */
  private budget = Number.POSITIVE_INFINITY;
  /** The last step stopped at its budget with work left (`receivePending`). */
  workPending = false;
  /** A pong or close to indicate once partial data has been handed out. */
  private deferred: Indication | undefined;
  /** The close, failure or end of stream that ended receiving, once indicated. */
  private terminal: Indication | undefined;
  private endOfStream = false;

  constructor(options: ReceivePathOptions, owner: Owner, host: ReceiveHost<Owner>) {
    this.properties = options.properties;
    this.isUtf8 = options.isUtf8;
    this.maskers = maskersFor(options.mask, options.maskInto);
    this.allocate = options.allocate ?? ((size) => new Uint8Array(size));
    this.owner = owner;
    this.host = host;
    this.decoder = this.makeDecoder(options.role, false);
  }

  private makeDecoder(role: 'client' | 'server', deflate: boolean): FrameDecoder {
    return new FrameDecoder({
      maxPayloadLength: this.properties.maxMessageSize,
      reservedBits: deflate ? ReservedBit.Rsv1 : 0,
      expectMasked: this.properties.disableMasking ? undefined : role === 'server',
      mask: this.maskers.mask,
      ...(this.maskers.maskInto === undefined ? {} : { maskInto: this.maskers.maskInto }),
    });
  }

  /** Turns on permessage-deflate (RSV1 allowed on first frames). Before any data only. */
  enableDeflate(role: 'client' | 'server', inflater: MessageInflater): void {
    this.inflateStage = new InflateStage(inflater);
    this.decoder = this.makeDecoder(role, true);
  }

  /**
   * `lent`: the chunk is the host's own memory (`completeAction(ctx, chunk)`),
   * not a view of the handle's receive buffer, which the next read reuses.
   */
  push(chunk: Uint8Array, lent = false): void {
    this.lent = lent && this.properties.retainLentChunks;
    this.decoder.push(chunk);
  }

  /** The transport reported end of stream. */
  pushEndOfStream(): void {
    this.endOfStream = true;
  }

  /** Fails receiving from outside (keep-alive timeout, abort). */
  terminate(indication: Indication): void {
    if (this.terminal === undefined) this.terminal = indication;
    this.deferred = undefined;
  }

  /**
   * Bytes held for the message being received: compressed bytes of an
   * incomplete frame, inflated or lent pieces, the assembly buffer.
   */
  get heldBytes(): number {
    return (this.inflateStage?.heldBytes ?? 0) + (this.held?.heldBytes ?? 0) + this.assembly.length;
  }

  /** Bytes of the message held as pieces (not yet gathered). */
  private get heldPieceBytes(): number {
    return this.held?.bytes ?? 0;
  }

  /**
   * The next indication for `op`, or undefined when more bytes are needed
   * or (`workPending`) when the step used its budget with work left.
   */
  step(op: ReceiveOperation): Indication | undefined {
    // A close waits in `deferred` until partial data is out; after that it repeats.
    if (this.terminal !== undefined && this.deferred === undefined) return this.terminal;
    this.budget = this.properties.receiveStepBytes;
    this.workPending = false;
    for (;;) {
      if (this.deferred !== undefined) {
        if (op.filled > 0) return this.flush(op);
        const d = this.deferred;
        this.deferred = undefined;
        return d;
      }
      const stage = this.inflateStage;
      if (stage?.hasPending === true) {
        const done = this.drainPending(stage, op);
        if (done !== undefined) return done;
        if (this.workPending) return undefined;
        continue;
      }
      if (this.held?.isGathering === true) {
        const done = this.gatherSome();
        if (done !== undefined) return done;
        return undefined; // out of budget (workPending)
      }
      if (stage?.ready === true) {
        const done = this.inflateSome(stage);
        if (done !== undefined) return done;
        if (this.workPending) return undefined;
        continue;
      }
      // Plain payload bytes are decoded (unmasked while copied) straight into
      // the caller's buffer, or into the room the assembly buffer has.
      let into: Uint8Array | undefined;
      let inAssembly = false;
      if (this.dataFrame && !this.compressed) {
        if (op.buffer !== undefined) into = op.buffer.subarray(op.filled);
        else if (this.assembled < this.assembly.length) {
          into = this.assembly.subarray(this.assembled);
          inAssembly = true;
        }
      }
      const event = this.decoder.next(into);
      if (event === undefined) {
        if (op.filled > 0) return this.flush(op);
        if (this.endOfStream) return this.end(connectionLost());
        return undefined;
      }
      const done = this.onEvent(event, op, inAssembly);
      if (done !== undefined) return done;
    }
  }

  /** `inAssembly`: a payload was decoded into the assembly buffer's room (`next(into)`). */
  private onEvent(
    event: FrameEvent,
    op: ReceiveOperation,
    inAssembly: boolean,
  ): Indication | undefined {
    if (event.type === 'header') return this.onHeader(event.header);
    if (event.type === 'error') {
      const f = event.failure;
      return this.fail(wireCode(f.code), f.message, f.closeCode);
    }
    if (this.control !== undefined) return this.onControl(this.control, event.data);
    const end = event.last && this.frameFin;
    if (event.last) this.dataFrame = false;
    if (!this.compressed) return this.deliver(event.data, end, op, inAssembly);
    // Compressed only with deflate negotiated (RSV1 is refused otherwise).
    const stage = this.inflateStage as InflateStage;
    stage.hold(event.data, event.last, this.lent, this.allocate);
    if (event.last) stage.frameComplete(end);
    return undefined;
  }

  /**
   * Inflates the next piece of the complete compressed frame, at most what
   * the step's budget allows; undefined unless the connection failed.
   */
  private inflateSome(stage: InflateStage): Indication | undefined {
    if (this.budget <= 0) {
      this.workPending = true;
      return undefined;
    }
    const left = stage.inflateSome(this.budget);
    if (typeof left !== 'number')
      return this.fail(wireCode(left.code), left.message, left.closeCode);
    this.budget = left;
    return undefined;
  }

  private onHeader(header: FrameHeader): Indication | undefined {
    if ((header.opcode & 0x8) !== 0) {
      this.control = header;
      return undefined;
    }
    this.control = undefined;
    this.dataFrame = true;
    this.frameFin = header.fin;
    const { maxFragments, maxMessageSize } = this.properties;
    if (header.opcode !== Opcode.Continuation) {
      this.text = header.opcode === Opcode.Text;
      this.compressed = header.rsv1;
      this.fragments = 1;
      this.size = 0;
      if (this.text) (this.textCheck ??= new TextCheck()).begin();
    } else if (++this.fragments > maxFragments) {
      return this.fail(
        'ERR_WS_TOO_MANY_FRAGMENTS',
        `A message spans more than ${maxFragments} frames`,
        CloseCode.MessageTooBig,
      );
    }
    if (this.compressed) return undefined;
    const length = header.payloadLength;
    if (this.size + length > maxMessageSize) {
      return this.fail(
        'ERR_WS_MESSAGE_TOO_BIG',
        `A message of more than ${maxMessageSize} bytes (${this.size} received, a frame of ${length} announced)`,
        CloseCode.MessageTooBig,
      );
    }
    // Nothing is reserved from the announced length (issue 8, defect 3): the
    // assembly buffer grows with the bytes that arrive (`reserve`).
    this.size += length;
    return undefined;
  }

  /** Makes room in the assembly buffer for `length` more bytes that have arrived. */
  private reserve(length: number): void {
    const need = this.assembled + length;
    if (need <= this.assembly.length) return;
    const finalSize = !this.compressed && this.frameFin ? this.size : undefined;
    const size = assemblySize(
      need,
      this.assembly.length,
      finalSize,
      this.properties.maxMessageSize,
    );
    const grown = this.allocate(size);
    grown.set(this.assembly.subarray(0, this.assembled));
    this.assembly = grown;
  }

  private onControl(header: FrameHeader, payload: Uint8Array): Indication | undefined {
    this.control = undefined;
    switch (header.opcode) {
      case Opcode.Ping:
        this.host.receivedPing(this.owner, payload.slice());
        return undefined;
      case Opcode.Pong:
        this.deferred = indication('ping-pong', payload.slice());
        return undefined;
      default: {
        const parsed = parseClosePayload(payload, {
          verifyUtf8: !this.properties.disableUtf8Verification,
        });
        if (!parsed.ok) {
          const f = parsed.failure;
          return this.fail(wireCode(f.code), f.message, f.closeCode);
        }
        const status = { code: parsed.value.code, reason: parsed.value.reason };
        this.host.receivedClose(this.owner, status);
        const close = closeIndication(status, undefined);
        this.terminal = close;
        this.deferred = close;
        return undefined;
      }
    }
  }

  /**
   * Hands `piece` (message bytes, in order) to the operation. `inAssembly`:
   * the piece was decoded into the assembly buffer, right after what it holds.
   */
  private deliver(
    piece: Uint8Array,
    end: boolean,
    op: ReceiveOperation,
    inAssembly = false,
  ): Indication | undefined {
    if (this.text && !this.properties.disableUtf8Verification) {
      const bad = this.checkUtf8(piece, end);
      if (bad !== undefined) return bad;
    }
    // Uncompressed sizes were counted from the frame headers; inflated ones count here.
    if (this.compressed) this.size += piece.length;
    if (op.buffer !== undefined) {
      // Uncompressed data was decoded straight into the buffer; inflated data is copied.
      if (this.compressed) {
        op.buffer.set(piece, op.filled);
      }
      op.filled += piece.length;
      if (end) return this.finish(op.buffer.subarray(0, this.take(op)));
      if (op.filled === op.buffer.length) return this.flush(op);
      return undefined;
    }
    if (!this.properties.assembleMessages) {
      if (end) return this.finish(piece);
      return piece.length === 0 ? undefined : indication(this.fragmentType(), piece);
    }
    // A plain message that comes as one piece (one frame in one chunk) is
    // handed out as it is: a view of the chunk, no copy. Inflated bytes are
    // copied (a codec may reuse that memory, unless it says `stableOutput`),
    // and with a stable codec held like lent pieces and gathered once.
    if (end && this.assembled === 0 && this.heldPieceBytes === 0 && !this.compressed) {
      return this.finish(piece);
    }
    const holdable = this.compressed ? this.inflateStage?.holdInflated === true : this.lent;
    const maxHeld = this.compressed ? MAX_HELD_INFLATED : MAX_HELD;
    const asPieces = op.pieces === true && !this.text && !this.compressed;
    if (
      holdable &&
      this.assembled === 0 &&
      (this.held?.count ?? 0) < maxHeld &&
      (asPieces || !this.sizedAndQuarterHere(piece.length, end))
    ) {
      return this.hold(piece, end, asPieces);
    }
    // Growing instead of holding: past MAX_HELD, a piece that cannot be held,
    // or a plain message whose last frame's header fixed its size and a
    // quarter of which is here. That buffer is allocated once, at the final
    // size (`reserve`); what is held is copied in, and the rest of the
    // message is decoded straight into it (unmasked while copied, `step`),
    // each read while it is still in cache, instead of being unmasked in
    // place and gathered at the end.
    if (this.heldPieceBytes > 0) this.unhold(piece.length);
    if (!inAssembly) {
      this.reserve(piece.length);
      this.assembly.set(piece, this.assembled);
    }
    this.assembled += piece.length;
    if (!end) return undefined;
    const whole =
      this.assembled === this.assembly.length
        ? this.assembly
        : this.assembly.subarray(0, this.assembled);
    this.assembly = EMPTY_BYTES;
    this.assembled = 0;
    return this.finish(whole);
  }

  /**
   * A plain message whose last frame's header has fixed its size, a quarter
   * of which is here with this piece (that is not its end): time to stop
   * holding and allocate the message.
   */
  private sizedAndQuarterHere(pieceLength: number, end: boolean): boolean {
    return (
      !this.compressed &&
      !end &&
      this.frameFin &&
      this.size <= 4 * (this.heldPieceBytes + pieceLength)
    );
  }

  /**
   * Keeps a piece of a lent chunk (`retainLentChunks`) and, at the message's
   * end, gathers what it holds into one exact-size buffer: one allocation
   * and one copy per message, where growing with what arrives costs
   * doublings (a 1 MiB message in 64 KiB reads: buffers of 64 KiB..1 MiB and
   * ~1 MiB of extra copying). Nothing is sized from an announced length.
   * `asPieces`: the pieces are handed out as they are instead.
   */
  private hold(piece: Uint8Array, end: boolean, asPieces: boolean): Indication | undefined {
    const held = (this.held ??= new HeldPieces());
    if (end && held.count === 0) {
      // One inflated piece (plain ones returned earlier): a view when it is
      // most of its memory, else one copy, never two.
      if (piece.byteLength * 2 >= piece.buffer.byteLength) return this.finish(piece);
      const copy = this.allocate(piece.length);
      copy.set(piece);
      return this.finish(copy);
    }
    held.add(piece, this.compressed, this.allocate);
    if (!end) return undefined;
    if (asPieces) return this.finishPieces(held.take());
    held.startGather(this.allocate);
    return this.gatherSome();
  }

  /**
   * Gathers held pieces into the message buffer, at most the step's budget
   * (`receiveStepBytes`). The message once whole, else undefined
   * (`workPending`).
   */
  private gatherSome(): Indication | undefined {
    const step = (this.held as HeldPieces).gatherSome(this.budget);
    this.budget = step.budget;
    if (step.whole === undefined) {
      this.workPending = true;
      return undefined;
    }
    return this.finish(step.whole);
  }

  /**
   * Copies what is held into the growing buffer, with room for `extra` more
   * bytes (the piece that made it stop holding).
   */
  private unhold(extra: number): void {
    this.reserve(this.heldPieceBytes + extra);
    this.assembled += (this.held as HeldPieces).drainInto(this.assembly, this.assembled);
  }

  /** Hands the next inflated bytes to the operation (no more than its buffer has room for). */
  private drainPending(stage: InflateStage, op: ReceiveOperation): Indication | undefined {
    const room = op.buffer === undefined ? Number.POSITIVE_INFINITY : op.buffer.length - op.filled;
    const part = stage.takePending(room);
    return this.deliver(part, stage.takenEnds, op);
  }

  private checkUtf8(piece: Uint8Array, end: boolean): Indication | undefined {
    if ((this.textCheck as TextCheck).check(piece, end, this.isUtf8)) return undefined;
    return this.fail(
      'ERR_WS_INVALID_UTF8',
      'A text message is not valid UTF-8',
      CloseCode.InvalidFramePayloadData,
    );
  }

  private take(op: ReceiveOperation): number {
    const n = op.filled;
    op.filled = 0;
    return n;
  }

  private fragmentType(): BufferType {
    return this.text ? 'utf8-fragment' : 'binary-fragment';
  }

  /** Completes `op` with the partial data it holds, as a fragment. */
  private flush(op: ReceiveOperation): Indication {
    const buffer = (op.buffer as Uint8Array).subarray(0, this.take(op));
    return indication(this.fragmentType(), buffer);
  }

  /** Hands out what is held as the message's pieces (`ReceiveOperation.pieces`): no gather. */
  private finishPieces(pieces: readonly Uint8Array[]): Indication {
    this.host.receivedMessage(this.owner, this.text, this.size);
    return {
      bufferType: 'binary-message',
      buffer: EMPTY_BYTES,
      buffers: pieces,
      close: undefined,
      error: undefined,
    };
  }

  private finish(buffer: Uint8Array): Indication {
    this.host.receivedMessage(this.owner, this.text, this.size);
    return indication(this.text ? 'utf8-message' : 'binary-message', buffer);
  }

  private fail(code: string, message: string, closeCode: number): Indication {
    const error = new ProtocolError(code, message, 'remote', { closeCode });
    this.host.receivedViolation(this.owner, error);
    return this.end(closeIndication({ code: closeCode, reason: '' }, error));
  }

  private end(terminal: Indication): Indication {
    this.terminal = terminal;
    this.deferred = undefined;
    this.assembly = EMPTY_BYTES;
    this.held?.clear();
    this.inflateStage?.clear();
    this.workPending = false;
    return terminal;
  }
}
