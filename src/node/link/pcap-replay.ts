import type { Adapter } from '../../link/index.js';
import { readPcapFile, type ReadPcapFileOptions } from './pcap-file.js';

export interface PcapReplayOptions extends ReadPcapFileOptions {
  /** Frames per burst: `receiveComplete` runs after each. Default 64. */
  readonly burst?: number;
  /**
   * Called before each Ethernet record with its timestamp (ns since the
   * epoch, when the file has one). A promise it returns is awaited before
   * the record is indicated, after the burst so far is completed: a replay
   * at the capture's own pace waits here, and a stop can end the replay by
   * rejecting.
   */
  readonly pace?: (timestampNanos: bigint | undefined) => Promise<void> | undefined;
}

export interface PcapReplayStats {
  readonly frames: number;
  readonly accepted: number;
  /** Records of link types other than Ethernet (1), skipped. */
  readonly skipped: number;
  /**
   * Records cut at the capture's snapshot length, indicated with their
   * original length as `packetSize` and the captured bytes as lookahead.
   */
  readonly truncated: number;
}

/**
 * A capture file as an adapter's wire: every Ethernet record of a pcap or
 * pcapng file is indicated to `adapter` with its timestamp as out-of-band
 * data, in bursts, with `receiveComplete` after each; other link types are
 * counted and skipped. A record cut at the snapshot length is indicated as
 * NDIS indicates a partial lookahead: `packetSize` is the length the frame
 * had on the wire, the lookahead is the bytes captured, `fullPacket` is false
 * (so it cannot be retained) and `transferData` returns only the bytes there
 * are, so a binding sees what is missing instead of taking a stub for a
 * whole frame. Memory stays bounded whatever the file's size (the
 * reader streams it). Rejects with the reader's one-line error on a bad file.
 */
export async function replayPcap(
  path: string,
  adapter: Adapter,
  options: PcapReplayOptions = {},
): Promise<PcapReplayStats> {
  const burst = options.burst ?? 64;
  const pace = options.pace;
  if (!Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`Replay burst must be a positive integer: got ${burst}`);
  }
  let frames = 0;
  let accepted = 0;
  let skipped = 0;
  let truncated = 0;
  let inBurst = 0;
  try {
    for await (const record of readPcapFile(path, options)) {
      if (record.linkType !== 1) {
        skipped++;
        continue;
      }
      const wait = pace?.(record.timestamp);
      if (wait !== undefined) {
        if (inBurst > 0) adapter.receiveComplete();
        inBurst = 0;
        await wait;
      }
      frames++;
      const oob =
        record.timestamp === undefined ? {} : { timestamp: Number(record.timestamp) / 1e6 };
      const cut = record.originalLength > record.capturedLength;
      if (cut) truncated++;
      const options = cut ? { oob, originalLength: record.originalLength } : { oob };
      if (adapter.indicate(record.data, options) > 0) accepted++;
      if (++inBurst === burst) {
        adapter.receiveComplete();
        inBurst = 0;
      }
    }
  } finally {
    if (inBurst > 0) adapter.receiveComplete();
  }
  return { frames, accepted, skipped, truncated };
}
