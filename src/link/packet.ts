/** Getting at the bytes of an accepted packet, whatever kind of indication brought it. */
import type { Indication } from './indication.js';

/**
 * The first `length` bytes of the packet (after the link header): a view of
 * the lookahead when it holds them, else a copy completed with `transferData`
 * (lookahead indications, NdisTransferData once). Undefined when the packet
 * holds fewer bytes than that (a capture record cut at its snapshot length):
 * the caller drops it as `truncated` rather than read invented zeros.
 */
export function wholePacket(ind: Indication, length: number): Uint8Array | undefined {
  if (ind.lookaheadSize >= length) return ind.lookahead.subarray(0, length);
  // Deliberate copy: a lookahead indication holds only part of the packet.
  const bytes = new Uint8Array(length);
  bytes.set(ind.lookahead, 0);
  const wanted = length - ind.lookaheadSize;
  const got = ind.transferData(ind.lookaheadSize, wanted, bytes, ind.lookaheadSize);
  return got < wanted ? undefined : bytes;
}
