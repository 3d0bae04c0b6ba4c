import { open, type FileHandle } from 'node:fs/promises';
import { LINK_PROVIDER } from '../../link/index.js';
import { NetrxError } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import type { DecodeFailure } from '../../wire/result.js';
import {
  PcapngWriter,
  PcapReader,
  PcapWriter,
  type CaptureFormat,
  type InterfaceToWrite,
  type PcapFileInfo,
  type PcapngPacketToWrite,
  type PcapngWriterOptions,
  type PcapReaderOptions,
  type PcapRecord,
  type PcapWriterOptions,
} from '../../wire/pcap/index.js';
import { BatchedWriter, type BatchedWriterStats } from './batched-writer.js';
import { NodeLinkEvent } from './events.js';

/** Bytes read from disk per step. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** A capture file that could not be read: `failure` is the reader's coded reason. */
export class PcapFileError extends NetrxError {
  readonly path: string;
  readonly failure: DecodeFailure;

  constructor(path: string, failure: DecodeFailure) {
    const where = failure.offset === undefined ? '' : ` at offset ${failure.offset}`;
    super('ERR_PCAP_INVALID', `${path}: ${failure.message} (${failure.code}${where})`);
    this.name = 'PcapFileError';
    this.path = path;
    this.failure = failure;
  }
}

function openError(path: string, action: string, error: unknown): NetrxError {
  const reason = error instanceof Error ? error.message : String(error);
  return new NetrxError('ERR_PCAP_OPEN', `Cannot ${action} ${path}: ${reason}`, { cause: error });
}

export interface ReadPcapFileOptions extends PcapReaderOptions {
  /** Bytes read per step; default 65536. Memory stays within one block plus two chunks. */
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * A capture file streamed from disk through `PcapReader`: iterate it for the
 * records (each chunk is a fresh buffer, so records stay valid after the loop
 * moves on); `info` grows as sections and interfaces are read. A malformed
 * file makes the iteration throw `PcapFileError` after the good records.
 */
export class PcapFileReader implements AsyncIterable<PcapRecord> {
  readonly path: string;
  private readonly reader: PcapReader;
  private readonly chunkSize: number;
  private readonly signal: AbortSignal | undefined;

  constructor(path: string, options: ReadPcapFileOptions = {}) {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 16 * 1024 * 1024) {
      throw new RangeError(`chunkSize must be an integer from 1 to 16777216: got ${chunkSize}`);
    }
    this.path = path;
    this.reader = new PcapReader(options);
    this.chunkSize = chunkSize;
    this.signal = options.signal;
  }

  get info(): PcapFileInfo {
    return this.reader.info;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PcapRecord, void, undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      throw openError(this.path, 'open', error);
    }
    try {
      for (;;) {
        this.signal?.throwIfAborted();
        // A fresh buffer per read: records handed out are views into it.
        const buffer = new Uint8Array(this.chunkSize);
        const { bytesRead } = await handle.read(buffer, 0, this.chunkSize, null);
        if (bytesRead === 0) this.reader.end();
        else this.reader.push(buffer.subarray(0, bytesRead));
        for (;;) {
          const result = this.reader.next();
          if (result.kind === 'record') yield result.record;
          else if (result.kind === 'need-more') break;
          else if (result.kind === 'end') return;
          else throw new PcapFileError(this.path, result.failure);
        }
      }
    } finally {
      await handle.close();
    }
  }
}

/** Streams the records of a pcap or pcapng file with bounded memory. */
export function readPcapFile(path: string, options?: ReadPcapFileOptions): PcapFileReader {
  return new PcapFileReader(path, options);
}

export interface PcapFileSummary {
  readonly format: CaptureFormat;
  /** Distinct link types of the file's interfaces, in order of appearance. */
  readonly linkTypes: number[];
  readonly frames: number;
  /** Sum of captured lengths. */
  readonly bytes: number;
}

/**
 * Reads a whole capture file and summarises it; rejects with `PcapFileError`
 * (code `ERR_PCAP_INVALID`, a one-line reason) for a malformed file, or
 * `ERR_PCAP_OPEN` when it cannot be opened.
 */
export async function pcapInfo(
  path: string,
  options?: ReadPcapFileOptions,
): Promise<PcapFileSummary> {
  const file = new PcapFileReader(path, options);
  let frames = 0;
  let bytes = 0;
  for await (const record of file) {
    frames++;
    bytes += record.capturedLength;
  }
  const linkTypes: number[] = [];
  for (const iface of file.info.interfaces) {
    if (!linkTypes.includes(iface.linkType)) linkTypes.push(iface.linkType);
  }
  return { format: file.info.format as CaptureFormat, linkTypes, frames, bytes };
}

/** Default bound on a capture file's backlog (bytes encoded, not yet on disk). */
export const DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024;

interface FileWriterCommon {
  /**
   * Add to an existing file instead of replacing it. The file is read through
   * first and must be a well-formed capture of the same format: a pcapng file
   * gets a new section; a pcap file must have the same link type, byte order
   * and resolution, and gets more records. A missing or empty file is created.
   */
  readonly append?: boolean;
  /**
   * Bytes encoded and not yet written (queued plus in flight). A record that
   * would pass it is dropped and counted (`stats().dropped.backlog`), so a
   * disk slower than the network costs records, never unbounded memory.
   * Default 4 MiB.
   */
  readonly maxPendingBytes?: number;
  /**
   * Called once with the first write failure (`ERR_PCAP_WRITE`); the capture
   * stops there: later records are dropped and counted, `flush` and `close`
   * reject with it.
   */
  readonly onError?: (error: NetrxError) => void;
  /** `CaptureWriteFailed` and `CaptureBacklogFull` go to the link provider. */
  readonly trace?: TraceRegistry;
}

export type PcapFileWriterOptions =
  | (FileWriterCommon & PcapWriterOptions & { readonly format: 'pcap' })
  | (FileWriterCommon & PcapngWriterOptions & { readonly format: 'pcapng' });

export interface PcapFileWriterStats extends BatchedWriterStats {
  readonly path: string;
  /**
   * Packets (frames) accepted: the file's header blocks (pcapng SHB and IDBs,
   * the pcap file header) are not counted, so this is the number of frames
   * the file holds once flushed.
   */
  readonly accepted: number;
  /** Every block accepted, headers included (what `BatchedWriter` counts). */
  readonly acceptedBlocks: number;
}

/**
 * Writes a capture file. For pcapng, `open` writes the SHB and `addInterface`
 * an IDB (returning its id); for pcap the single interface is the one in the
 * options. `record` encodes a packet at once (the frame may be a view valid
 * only during the call) and queues it without waiting: records go to disk in
 * batches, one write per event-loop turn at most, within `maxPendingBytes`.
 * `write` is `record` plus `flush`, for callers that want to wait. `close`
 * flushes and closes.
 */
export class PcapFileWriter {
  readonly path: string;
  readonly format: CaptureFormat;
  private readonly handle: FileHandle;
  private readonly pcap: PcapWriter | undefined;
  private readonly pcapng: PcapngWriter | undefined;
  private readonly queue: BatchedWriter;
  private closed = false;
  /** Until the header is on disk a failure is the opener's to report, not a capture error. */
  private opened = false;
  private failure: NetrxError | undefined;

  private constructor(
    path: string,
    handle: FileHandle,
    pcap: PcapWriter | undefined,
    pcapng: PcapngWriter | undefined,
    options: FileWriterCommon,
  ) {
    this.path = path;
    this.handle = handle;
    this.pcap = pcap;
    this.pcapng = pcapng;
    this.format = pcap === undefined ? 'pcapng' : 'pcap';
    const trace = options.trace?.register(LINK_PROVIDER);
    const limit = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.queue = new BatchedWriter(
      { writev: async (chunks) => (await handle.writev(chunks as Uint8Array[])).bytesWritten },
      {
        maxPendingBytes: limit,
        onError: (error) => {
          if (!this.opened) return;
          const wrapped = writeError(path, error);
          this.failure = wrapped;
          trace?.emit(NodeLinkEvent.captureWriteFailed, { file: path, message: wrapped.message });
          options.onError?.(wrapped);
        },
        onBacklogFull: (pendingBytes) =>
          trace?.emit(NodeLinkEvent.captureBacklogFull, { file: path, pendingBytes, limit }),
      },
    );
  }

  static async open(path: string, options: PcapFileWriterOptions): Promise<PcapFileWriter> {
    const limit = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`maxPendingBytes must be a positive integer: got ${limit}`);
    }
    const pcap = options.format === 'pcap' ? new PcapWriter(options) : undefined;
    const pcapng = options.format === 'pcapng' ? new PcapngWriter(options) : undefined;
    let existing = false;
    if (options.append === true) existing = await checkAppendable(path, pcap, options.format);
    let handle: FileHandle;
    try {
      handle = await open(path, options.append === true ? 'a' : 'w');
    } catch (error) {
      throw openError(path, 'open', error);
    }
    const writer = new PcapFileWriter(path, handle, pcap, pcapng, options);
    try {
      if (pcap !== undefined && !existing) writer.enqueue(pcap.header());
      if (pcapng !== undefined) writer.enqueue(pcapng.sectionHeader());
      await writer.queue.flush();
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw openError(path, 'write the header of', cause(error));
    }
    writer.opened = true;
    return writer;
  }

  /** pcapng: writes an IDB and returns its interface id once it is on disk. */
  async addInterface(iface: InterfaceToWrite): Promise<number> {
    if (this.pcapng === undefined) {
      throw new RangeError('A pcap file has exactly one interface, given when it is opened');
    }
    const id = this.pcapng.interfaceCount;
    this.enqueue(this.pcapng.addInterface(iface));
    await this.flush();
    return id;
  }

  /**
   * Encodes one packet (a copy: the frame may be a view) and queues it;
   * false when it was dropped (backlog full, or the capture failed), which
   * `stats().dropped` counts. For pcap, `interfaceId`, `flags` and `comments`
   * cannot be stored (RangeError).
   */
  record(packet: PcapngPacketToWrite): boolean {
    if (this.pcap !== undefined) {
      if (
        (packet.interfaceId ?? 0) !== 0 ||
        packet.flags !== undefined ||
        (packet.comments?.length ?? 0) > 0
      ) {
        throw new RangeError(
          'pcap files cannot store interface ids, flags or comments; use pcapng',
        );
      }
      return this.countPacket(this.enqueue(this.pcap.record(packet)));
    }
    return this.countPacket(this.enqueue((this.pcapng as PcapngWriter).packet(packet)));
  }

  private packetsAccepted = 0;

  private countPacket(accepted: boolean): boolean {
    if (accepted) this.packetsAccepted++;
    return accepted;
  }

  /**
   * `record` and `flush`: resolves when the packet is on disk; rejects with
   * `ERR_PCAP_WRITE` when writing failed, `ERR_PCAP_BACKLOG` when the packet
   * was dropped for the byte limit.
   */
  write(packet: PcapngPacketToWrite): Promise<void> {
    // Not async: misuse (a pcapng-only field in a pcap file) throws at the call.
    if (this.record(packet)) return this.flush();
    if (this.queue.stats().error !== undefined) return this.flush();
    return Promise.reject(
      new NetrxError(
        'ERR_PCAP_BACKLOG',
        `Cannot write to ${this.path}: ${this.queue.pendingBytes} bytes are waiting for the disk already`,
      ),
    );
  }

  /** Resolves when everything recorded so far is on disk; rejects with `ERR_PCAP_WRITE`. */
  async flush(): Promise<void> {
    try {
      await this.queue.flush();
    } catch (error) {
      throw writeError(this.path, error);
    }
  }

  stats(): PcapFileWriterStats {
    const stats = this.queue.stats();
    return {
      path: this.path,
      ...stats,
      accepted: this.packetsAccepted,
      acceptedBlocks: stats.accepted,
      ...(this.failure === undefined ? {} : { error: this.failure.message }),
    };
  }

  /** Flushes and closes; idempotent. Rejects with the write failure, if there was one. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  private enqueue(bytes: Uint8Array): boolean {
    if (this.closed) throw new RangeError(`Cannot write to ${this.path}: the writer is closed`);
    return this.queue.push(bytes);
  }
}

function cause(error: unknown): unknown {
  return error instanceof NetrxError && error.code === 'ERR_PCAP_WRITE' ? error.cause : error;
}

function writeError(path: string, error: unknown): NetrxError {
  if (error instanceof NetrxError && error.code === 'ERR_PCAP_WRITE') return error;
  const reason =
    (error as NodeJS.ErrnoException | undefined)?.code ??
    (error instanceof Error ? error.message : String(error));
  return new NetrxError('ERR_PCAP_WRITE', `Cannot write to ${path}: ${reason}`, { cause: error });
}

/** Whether `path` holds data to append to; throws when appending would corrupt it. */
async function checkAppendable(
  path: string,
  pcap: PcapWriter | undefined,
  format: CaptureFormat,
): Promise<boolean> {
  const file = new PcapFileReader(path);
  try {
    for await (const _record of file) {
      // Read through: a truncated or malformed tail would corrupt what follows.
    }
  } catch (error) {
    if (error instanceof NetrxError && error.code === 'ERR_PCAP_OPEN') {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'ENOENT') return false;
    }
    if (error instanceof PcapFileError && error.failure.message.startsWith('empty input'))
      return false;
    throw error;
  }
  const existing = file.info.format;
  if (existing !== format) {
    throw new NetrxError(
      'ERR_PCAP_APPEND',
      `Cannot append ${format} to ${path}: it is a ${existing} file`,
    );
  }
  if (pcap !== undefined) {
    const section = file.info.sections[0];
    const iface = file.info.interfaces[0];
    const nanoseconds = iface?.resolution.exponent === 9;
    if (
      section?.byteOrder !== pcap.byteOrder ||
      iface?.linkType !== pcap.linkType ||
      nanoseconds !== pcap.nanoseconds
    ) {
      throw new NetrxError(
        'ERR_PCAP_APPEND',
        `Cannot append to ${path}: its header (link type ${iface?.linkType}, ${section?.byteOrder}-endian, ${nanoseconds ? 'ns' : 'µs'}) differs from the writer's`,
      );
    }
  }
  return true;
}
