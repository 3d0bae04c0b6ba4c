/** Getting at the bytes of an accepted packet, whatever kind of indication brought it. */
import type { Indication } from './indication.js';

/**
 * The first `length` bytes of the packet (after the link header): a view of
 * the lookahead when it holds them, else a copy completed with `transferData`
 * (lookahead indications, NdisTransferData once).
 */
export function wholePacket(ind: Indication, length: number): Uint8Array {
  if (ind.lookaheadSize >= length) return ind.lookahead.subarray(0, length);
  // Deliberate copy: a lookahead indication holds only part of the packet.
  const bytes = new Uint8Array(length);
  bytes.set(ind.lookahead, 0);
  ind.transferData(ind.lookaheadSize, length - ind.lookaheadSize, bytes, ind.lookaheadSize);
  return bytes;
}
