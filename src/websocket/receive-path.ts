/**
 * The receive half of a handle: turns the decoder's frame events into the
 * indications one receive operation completes with.
 *
 * This file decodes: the step loop (under the `receiveStepBytes` budget),
 * frame headers and their limits (size, fragments), control frames, and
 * compressed frames handed to the inflate stage. Handing a message's bytes
 * to the operation (the caller's buffer, views piece by piece, or whole
 * messages assembled or gathered) is receive-delivery.ts, its base class.
 * Control frames never interrupt a message: pings are answered through the
 * host, pongs and the close are indicated after any partial data has been
 * handed out.
 */
import {
  CloseCode,
  FrameDecoder,
  Opcode,
  ReservedBit,
  parseClosePayload,
  type FrameEvent,
  type FrameHeader,
} from '../wire/websocket/index.js';
import { maskersFor, type Maskers } from '../wire/websocket/frame-limits.js';
import { ReceiveDelivery } from './receive-delivery.js';
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

export class ReceivePath<Owner> extends ReceiveDelivery<Owner> {
  private decoder: FrameDecoder;
  /** One shared object for the injected mask functions (not two fields per connection). */
  private readonly maskers: Maskers;
  /** Frames of the message being received. */
  private fragments = 0;
  // The frame being received.
  private control: FrameHeader | undefined;
  private dataFrame = false;
  private endOfStream = false;

  constructor(options: ReceivePathOptions, owner: Owner, host: ReceiveHost<Owner>) {
    super(options, owner, host);
    this.maskers = maskersFor(options.mask, options.maskInto);
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
}
