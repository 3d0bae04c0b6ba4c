/**
 * The publisher's hot path, apart from its flow control: the 64 KiB batch
 * buffers (a small bounded pool, so a busy host does not allocate one per
 * publish) and the EventRecord writer.
 *
 * An EventRecord is 96 bytes of header and the user data. For one provider
 * and one event descriptor, 92 of the header bytes never change (the
 * provider GUID, the descriptor, the host's ActivityId, the constant flags
 * and offsets), so each pair's header is encoded once, by the wire
 * module's own `writeEventRecord`, into a template; an event then costs one
 * 96-byte copy, its Size, TimeStamp and UserDataLength, and the copy of its
 * user data, all in place in the batch. No BigInt, no record object per
 * event. Pooled buffers are not zeroed, so the template covers every header
 * byte.
 */
import type { EventDescriptor, TraceEvent } from '../../trace/index.js';
import {
  EVENT_RECORD_USER_DATA_OFFSET,
  guidToBytes,
  writeEventRecord,
  writeFiletimeFromUnixMs,
} from '../../wire/index.js';

const NO_USER_DATA = new Uint8Array(0);

export class EventRecordWriter {
  private readonly activityId: Uint8Array;
  /** Per provider GUID, the template of each descriptor seen. */
  private readonly templates = new Map<string, WeakMap<EventDescriptor, Uint8Array>>();
  /** The last pair used: a provider mostly writes one kind of event in a row. */
  private lastGuid = '';
  private lastDescriptor: EventDescriptor | undefined;
  private lastTemplate: Uint8Array = NO_USER_DATA;

  constructor(activityId: Uint8Array) {
    this.activityId = activityId;
  }

  /** The bytes `write` takes for this event. */
  static recordLength(event: TraceEvent): number {
    return EVENT_RECORD_USER_DATA_OFFSET + event.payload.length;
  }

  /**
   * Writes the event's EventRecord at `out[offset]` (the caller made room:
   * `recordLength(event)` bytes; the user data fits in an item, checked by
   * the caller) and returns its length.
   */
  write(out: Uint8Array, view: DataView, offset: number, event: TraceEvent): number {
    const template = this.templateFor(event);
    const length = event.payload.length;
    const total = EVENT_RECORD_USER_DATA_OFFSET + length;
    out.set(template, offset);
    view.setUint16(offset, total, true); // Size
    writeFiletimeFromUnixMs(view, offset + 16, event.timestamp);
    view.setUint16(offset + 86, length, true); // UserDataLength
    out.set(event.payload, offset + EVENT_RECORD_USER_DATA_OFFSET);
    return total;
  }

  private templateFor(event: TraceEvent): Uint8Array {
    const guid = event.provider.guid;
    const descriptor = event.descriptor;
    if (descriptor === this.lastDescriptor && guid === this.lastGuid) return this.lastTemplate;
    let byDescriptor = this.templates.get(guid);
    if (byDescriptor === undefined) {
      byDescriptor = new WeakMap();
      this.templates.set(guid, byDescriptor);
    }
    let template = byDescriptor.get(descriptor);
    if (template === undefined) {
      template = new Uint8Array(EVENT_RECORD_USER_DATA_OFFSET);
      writeEventRecord(
        template,
        new DataView(template.buffer),
        0,
        {
          providerId: guidToBytes(guid),
          id: descriptor.id,
          version: descriptor.version,
          level: descriptor.level,
          opcode: descriptor.opcode,
          task: descriptor.task,
          keyword: descriptor.keywords,
          activityId: this.activityId,
        },
        NO_USER_DATA,
      );
      byDescriptor.set(descriptor, template);
    }
    this.lastGuid = guid;
    this.lastDescriptor = descriptor;
    this.lastTemplate = template;
    return template;
  }
}

/**
 * Batch buffers of one size, reused. A buffer comes back only once nothing
 * can read it again: its publish was answered stored or refused (the NATS
 * client copied it into its socket write before the server could answer).
 * A publish that went unsent keeps its buffer for the retry and never comes
 * back: the client may still hold it in its reconnect buffer. At most `keep`
 * free buffers are held; the rest go to the garbage collector.
 */
export class BatchBufferPool {
  readonly size: number;
  private readonly keep: number;
  private readonly free: Uint8Array[] = [];

  constructor(size: number, keep: number) {
    this.size = size;
    this.keep = keep;
  }

  /** Free buffers held now. */
  get held(): number {
    return this.free.length;
  }

  take(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.size);
  }

  /** Gives back a buffer from `take` (another size, or a full pool: dropped). */
  give(bytes: Uint8Array): void {
    if (bytes.length === this.size && this.free.length < this.keep) this.free.push(bytes);
  }
}
