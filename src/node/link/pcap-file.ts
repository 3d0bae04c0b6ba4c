import { open, type FileHandle } from 'node:fs/promises';
import { NetrxError } from '../../runtime/index.js';
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

interface FileWriterCommon {
  /**
   * Add to an existing file instead of replacing it. The file is read through
   * first and must be a well-formed capture of the same format: a pcapng file
   * gets a new section; a pcap file must have the same link type, byte order
   * and resolution, and gets more records. A missing or empty file is created.
   */
  readonly append?: boolean;
}

export type PcapFileWriterOptions =
  | (FileWriterCommon & PcapWriterOptions & { readonly format: 'pcap' })
  | (FileWriterCommon & PcapngWriterOptions & { readonly format: 'pcapng' });

/**
 * Writes a capture file. For pcapng, `open` writes the SHB and `addInterface`
 * an IDB (returning its id); for pcap the single interface is the one in the
 * options. Calls are queued in order; `close` flushes and closes.
 */
export class PcapFileWriter {
  readonly path: string;
  readonly format: CaptureFormat;
  private readonly handle: FileHandle;
  private readonly pcap: PcapWriter | undefined;
  private readonly pcapng: PcapngWriter | undefined;
  private pending: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    path: string,
    handle: FileHandle,
    pcap: PcapWriter | undefined,
    pcapng: PcapngWriter | undefined,
  ) {
    this.path = path;
    this.handle = handle;
    this.pcap = pcap;
    this.pcapng = pcapng;
    this.format = pcap === undefined ? 'pcapng' : 'pcap';
  }

  static async open(path: string, options: PcapFileWriterOptions): Promise<PcapFileWriter> {
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
    const writer = new PcapFileWriter(path, handle, pcap, pcapng);
    try {
      if (pcap !== undefined && !existing) await writer.enqueue(pcap.header());
      if (pcapng !== undefined) await writer.enqueue(pcapng.sectionHeader());
    } catch (error) {
      await writer.close().catch(() => undefined);
      throw openError(path, 'write the header of', error);
    }
    return writer;
  }

  /** pcapng: writes an IDB and returns its interface id. */
  async addInterface(iface: InterfaceToWrite): Promise<number> {
    if (this.pcapng === undefined) {
      throw new RangeError('A pcap file has exactly one interface, given when it is opened');
    }
    const id = this.pcapng.interfaceCount;
    await this.enqueue(this.pcapng.addInterface(iface));
    return id;
  }

  /** Writes one packet. For pcap, `interfaceId`, `flags` and `comments` cannot be stored. */
  write(packet: PcapngPacketToWrite): Promise<void> {
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
      return this.enqueue(this.pcap.record(packet));
    }
    return this.enqueue((this.pcapng as PcapngWriter).packet(packet));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pending;
    } finally {
      await this.handle.close();
    }
  }

  private enqueue(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new RangeError(`Cannot write to ${this.path}: the writer is closed`);
    const write = this.pending.then(async () => {
      await this.handle.write(bytes, 0, bytes.length, null);
    });
    // Later writes wait for this one; its failure is reported to its own caller.
    this.pending = write.catch(() => undefined);
    return write;
  }
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
