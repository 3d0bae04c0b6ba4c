/**
 * The last minutes of packets the host's adapters carried, for the
 * dashboard's "save as pcapng": a listener on the packet-capture provider
 * (Microsoft-Windows-NDIS-PacketCapture, netrx/link) keeps each frame as
 * captured (truncated to the provider's length, 128 bytes by default), in a
 * ring bounded by bytes and by age, and writes it all as one pcapng file on
 * request: an interface per adapter index, original lengths kept.
 */
import {
  PACKET_CAPTURE_PROVIDER_NAME,
  PacketFragmentReceived,
  type PacketCaptureProvider,
} from '../../link/index.js';
import type { Clock } from '../../runtime/index.js';
import { decodePayload, type TraceRegistry, type TraceSubscription } from '../../trace/index.js';
import { PcapngWriter } from '../../wire/index.js';

export interface PacketHistoryOptions {
  /** Bytes of frames kept (oldest evicted first). Default 4 MiB. */
  readonly maxBytes?: number;
  /** Frames older than this are evicted. Default 5 minutes. */
  readonly maxAgeMs?: number;
}

interface Kept {
  readonly atMs: number;
  readonly ifIndex: number;
  readonly data: Uint8Array;
  readonly originalLength: number;
  readonly outbound: boolean;
}

const LINKTYPE_ETHERNET = 1;

export class PacketHistory {
  private readonly frames: Kept[] = [];
  private head = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private subscription: TraceSubscription | undefined;
  /** Frames evicted to stay within the bounds, and payloads that did not decode. */
  readonly counts = { kept: 0, evicted: 0, undecodable: 0 };

  constructor(
    private readonly clock: Clock,
    options: PacketHistoryOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 4 << 20;
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  }

  /** Starts listening to the packet-capture provider on `trace` (which taps every attached adapter). */
  listen(trace: TraceRegistry): void {
    this.subscription ??= trace.enable(
      PACKET_CAPTURE_PROVIDER_NAME.toLowerCase(),
      (event) => {
        const decoded = decodePayload(PacketFragmentReceived.fields ?? [], event.payload);
        if (!decoded.ok) {
          this.counts.undecodable++;
          return;
        }
        const { miniportIfIndex, fragment, originalSize } = decoded.values;
        if (!(fragment instanceof Uint8Array)) {
          this.counts.undecodable++;
          return;
        }
        this.add({
          atMs: event.timestamp,
          ifIndex: Number(miniportIfIndex),
          data: fragment.slice(),
          originalLength: Math.max(fragment.length, Number(originalSize ?? fragment.length)),
          outbound: event.descriptor.opcode !== PacketFragmentReceived.opcode,
        });
      },
      { level: 5 },
    );
  }

  close(): void {
    this.subscription?.disable();
    this.subscription = undefined;
  }

  add(frame: Kept): void {
    this.frames.push(frame);
    this.bytes += frame.data.length;
    this.counts.kept++;
    this.evict(frame.atMs);
  }

  get size(): number {
    return this.frames.length - this.head;
  }

  private evict(nowMs: number): void {
    while (this.head < this.frames.length) {
      const oldest = this.frames[this.head] as Kept;
      if (this.bytes <= this.maxBytes && nowMs - oldest.atMs <= this.maxAgeMs) break;
      this.bytes -= oldest.data.length;
      this.head++;
      this.counts.evicted++;
    }
    // Compact now and then so the array does not keep what it evicted.
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Everything still within the bounds, as one pcapng file. */
  pcapng(): Uint8Array {
    this.evict(this.clock.now());
    const writer = new PcapngWriter();
    const blocks: Uint8Array[] = [writer.sectionHeader()];
    const interfaces = new Map<number, number>();
    for (let i = this.head; i < this.frames.length; i++) {
      const frame = this.frames[i] as Kept;
      let id = interfaces.get(frame.ifIndex);
      if (id === undefined) {
        id = interfaces.size;
        interfaces.set(frame.ifIndex, id);
        blocks.push(
          writer.addInterface({
            linkType: LINKTYPE_ETHERNET,
            name: `netrx-if${frame.ifIndex}`,
            resolution: { base: 10, exponent: 9 },
          }),
        );
      }
      blocks.push(
        writer.packet({
          interfaceId: id,
          timestamp: BigInt(Math.round(frame.atMs * 1e6)),
          data: frame.data,
          originalLength: frame.originalLength,
        }),
      );
    }
    const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const block of blocks) {
      out.set(block, at);
      at += block.length;
    }
    return out;
  }
}

/** Index assignment for the host's adapters on its one packet-capture provider. */
export class AdapterCapture {
  private next = 1;
  constructor(readonly provider: PacketCaptureProvider) {}
  attach(adapter: Parameters<PacketCaptureProvider['attach']>[0]): () => void {
    return this.provider.attach(adapter, this.next++);
  }
}
