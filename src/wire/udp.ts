/**
 * UDP datagrams (RFC 768).
 *
 * The Length field covers header and data; bytes after it are ignored (they
 * belong to padding below), a Length under 8 is `bad-length`, and a buffer
 * shorter than Length is `truncated`.
 *
 * The checksum covers a pseudo-header from the IP layer, so the header object
 * keeps it as a plain field (it round-trips, and 0 has a meaning): build the
 * datagram with `emitUdp`, write the data after it, then call the view's
 * `fillChecksumIpv4`/`fillChecksumIpv6`. Over IPv4 a zero checksum means "not
 * computed" (RFC 768) and verifies; a computed zero is sent as 0xffff. Over
 * IPv6 the checksum is mandatory (RFC 8200 §8.1), so zero fails to verify.
 */
import {
  finishChecksum,
  foldChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
} from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { decodeFailed, decoded, type Decoded } from './result.js';
import { readU16, writeU16 } from './big-endian.js';
import { ANCHOR_BYTES, keepShape } from './view-shapes.js';

export const UDP_HEADER_LENGTH = 8;

/** A UDP header as a plain value. */
export interface UdpHeader {
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** Header plus data, in bytes (at least 8). */
  readonly length: number;
  /** As on the wire; 0 over IPv4 means none. */
  readonly checksum: number;
}

/** A view of a UDP datagram. */
export class UdpDatagram {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  // One view kept alive so the hidden class (and code built on it) survives full GCs: view-shapes.ts.
  static {
    keepShape(new UdpDatagram(ANCHOR_BYTES));
  }

  static unchecked(bytes: Uint8Array): UdpDatagram {
    return new UdpDatagram(bytes);
  }

  /** `truncated` below 8 bytes or below Length; `bad-length` for a Length under 8. */
  static checked(bytes: Uint8Array): Decoded<UdpDatagram> {
    if (bytes.length < UDP_HEADER_LENGTH) {
      return decodeFailed(
        'truncated',
        `UDP datagram of ${bytes.length} bytes is shorter than the 8-byte header`,
        bytes.length,
      );
    }
    const datagram = new UdpDatagram(bytes);
    const length = datagram.length;
    if (length < UDP_HEADER_LENGTH) {
      return decodeFailed('bad-length', `UDP length ${length} is below the 8-byte header`, 4);
    }
    if (length > bytes.length) {
      return decodeFailed(
        'truncated',
        `UDP datagram of length ${length} is cut off at ${bytes.length} bytes`,
        bytes.length,
      );
    }
    return decoded(datagram);
  }

  get sourcePort(): number {
    return readU16(this.bytes, 0);
  }
  get destinationPort(): number {
    return readU16(this.bytes, 2);
  }
  get length(): number {
    return readU16(this.bytes, 4);
  }
  get checksum(): number {
    return readU16(this.bytes, 6);
  }
  /** The data up to Length (a view). */
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LENGTH, this.length);
  }

  /** Verifies over IPv4 (addresses as uint32); a zero checksum (none sent) verifies. */
  verifyChecksumIpv4(sourceAddress: number, destinationAddress: number): boolean {
    if (this.checksum === 0) return true;
    const length = this.length;
    const initial = ipv4PseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.Udp, length);
    return foldChecksum(onesComplementSum(this.bytes.subarray(0, length), initial)) === 0xffff;
  }
  /** Verifies over IPv6; a zero checksum fails, as RFC 8200 §8.1 requires. */
  verifyChecksumIpv6(sourceAddress: Uint8Array, destinationAddress: Uint8Array): boolean {
    if (this.checksum === 0) return false;
    const length = this.length;
    const initial = ipv6PseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.Udp, length);
    return foldChecksum(onesComplementSum(this.bytes.subarray(0, length), initial)) === 0xffff;
  }

  setSourcePort(value: number): void {
    writeU16(this.bytes, 0, value);
  }
  setDestinationPort(value: number): void {
    writeU16(this.bytes, 2, value);
  }
  setLength(value: number): void {
    writeU16(this.bytes, 4, value);
  }
  setChecksum(value: number): void {
    writeU16(this.bytes, 6, value);
  }
  /** Computes the checksum over the IPv4 pseudo-header and the first Length bytes. */
  fillChecksumIpv4(sourceAddress: number, destinationAddress: number): void {
    const length = this.length;
    this.fill(ipv4PseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.Udp, length));
  }
  /** Computes the checksum over the IPv6 pseudo-header and the first Length bytes. */
  fillChecksumIpv6(sourceAddress: Uint8Array, destinationAddress: Uint8Array): void {
    const length = this.length;
    this.fill(ipv6PseudoHeaderSum(sourceAddress, destinationAddress, IpProtocol.Udp, length));
  }
  private fill(initial: number): void {
    writeU16(this.bytes, 6, 0);
    const sum = finishChecksum(onesComplementSum(this.bytes.subarray(0, this.length), initial));
    // RFC 768: a computed zero is sent as all ones, since zero means "no checksum".
    writeU16(this.bytes, 6, sum === 0 ? 0xffff : sum);
  }
}

/** Always 8. */
export function udpHeaderLength(_header?: UdpHeader): number {
  return UDP_HEADER_LENGTH;
}

/** Parses a UDP header (lengths as `UdpDatagram.checked`); `payload` ends at Length. The checksum is not verified here. */
export function parseUdp(bytes: Uint8Array): Decoded<{ header: UdpHeader; payload: Uint8Array }> {
  const result = UdpDatagram.checked(bytes);
  if (!result.ok) return result;
  const datagram = result.value;
  return decoded({
    header: {
      sourcePort: datagram.sourcePort,
      destinationPort: datagram.destinationPort,
      length: datagram.length,
      checksum: datagram.checksum,
    },
    payload: datagram.payload,
  });
}

/** Writes the 8-byte header at `offset` as given; throws `RangeError` if it does not fit. */
export function emitUdp(header: UdpHeader, into: Uint8Array, offset = 0): number {
  if (offset < 0 || offset + UDP_HEADER_LENGTH > into.length) {
    throw new RangeError(
      `Cannot emit an 8-byte UDP header at offset ${offset}: buffer is ${into.length} bytes`,
    );
  }
  const datagram = UdpDatagram.unchecked(into.subarray(offset, offset + UDP_HEADER_LENGTH));
  datagram.setSourcePort(header.sourcePort);
  datagram.setDestinationPort(header.destinationPort);
  datagram.setLength(header.length);
  datagram.setChecksum(header.checksum);
  return UDP_HEADER_LENGTH;
}
