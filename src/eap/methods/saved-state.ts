/**
 * The small byte format the authenticator side of Identity, MD5 and
 * MSCHAPv2 saves its work state in (EapMethod.saveState), so a cluster can
 * seal it and another server can take the next round. Reading never
 * throws: a short or inconsistent buffer gives undefined.
 */
import { ByteReader, ByteWriter } from '../../bytes/index.js';
import { EapCode, type EapMessage } from '../../wire/eap.js';

export { ByteWriter };

/** Writes `value` with a one-octet length (255 at most). */
export function writeShortBytes(writer: ByteWriter, value: Uint8Array): void {
  if (value.length > 255) throw new RangeError('saved state field over 255 octets');
  writer.u8(value.length).bytes(value);
}

/** Writes an optional string (UTF-8, two-octet length, 0xffff for absent). */
export function writeOptionalText(writer: ByteWriter, value: string | undefined): void {
  if (value === undefined) {
    writer.u16(0xffff);
    return;
  }
  const bytes = new TextEncoder().encode(value);
  if (bytes.length >= 0xffff) throw new RangeError('saved state text too long');
  writer.u16(bytes.length).bytes(bytes);
}

/** Writes the Request a method would resend: its Identifier, type and type data. */
export function writeRequest(writer: ByteWriter, request: EapMessage): void {
  if (request.typeData.length > 0xffff) throw new RangeError('saved Request too long');
  writer
    .u8(request.identifier)
    .u8(request.type)
    .u16(request.typeData.length)
    .bytes(request.typeData);
}

/** A reader that answers undefined instead of throwing; `done` says whether all was consumed. */
export class SavedStateReader {
  private readonly reader: ByteReader;
  failed = false;

  constructor(bytes: Uint8Array) {
    this.reader = new ByteReader(bytes);
  }

  u8(): number {
    if (!this.reader.canRead(1)) return this.fail(0);
    return this.reader.u8();
  }

  u16(): number {
    if (!this.reader.canRead(2)) return this.fail(0);
    return this.reader.u16();
  }

  u32(): number {
    if (!this.reader.canRead(4)) return this.fail(0);
    return this.reader.u32();
  }

  /** A copy: the saved buffer is not the state's to keep. */
  bytes(count: number): Uint8Array {
    if (!this.reader.canRead(count)) return this.fail(new Uint8Array(0));
    return this.reader.bytesView(count).slice();
  }

  shortBytes(): Uint8Array {
    return this.bytes(this.u8());
  }

  optionalText(): string | undefined {
    const length = this.u16();
    if (length === 0xffff) return undefined;
    const bytes = this.bytes(length);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return this.fail(undefined);
    }
  }

  request(): EapMessage {
    const identifier = this.u8();
    const type = this.u8();
    const typeData = this.bytes(this.u16());
    return { code: EapCode.Request, identifier, type, typeData };
  }

  /** Octets not read yet. */
  get remaining(): number {
    return this.reader.remaining;
  }

  /** True when every octet was read and nothing failed. */
  get complete(): boolean {
    return !this.failed && this.reader.remaining === 0;
  }

  private fail<T>(value: T): T {
    this.failed = true;
    return value;
  }
}
