/**
 * FILETIME: 100-nanosecond ticks since 1601-01-01 UTC, a signed 64-bit
 * integer (EVENT_HEADER.TimeStamp). netrx clocks count milliseconds since the
 * Unix epoch; these convert exactly in both directions for whole 100 ns.
 */

/** Ticks from 1601-01-01 to 1970-01-01. */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;
const EPOCH_MS = 11_644_473_600_000;
const TWO_32 = 0x1_0000_0000;

/**
 * `unixMs` (may be fractional; rounded to 100 ns) as FILETIME ticks. The
 * whole and fractional milliseconds are converted apart: today's times in
 * ticks pass 2^53, so `unixMs * 10_000` as a double would round.
 */
export function filetimeFromUnixMs(unixMs: number): bigint {
  const whole = Math.floor(unixMs);
  const fraction = Math.round((unixMs - whole) * 10_000);
  return BigInt(whole) * 10_000n + BigInt(fraction) + FILETIME_UNIX_EPOCH;
}

/** FILETIME ticks as Unix milliseconds (fractional below 1 ms; as exact as a double allows). */
export function unixMsFromFiletime(filetime: bigint): number {
  const ticks = filetime - FILETIME_UNIX_EPOCH;
  return Number(ticks / 10_000n) + Number(ticks % 10_000n) / 10_000;
}

/**
 * Writes the FILETIME of `unixMs` as two little-endian u32 halves, with no
 * BigInt: the hot path of event capture stamps every event. Exact for
 * 0 ≤ unixMs < 2^44 ms (year 2527); rounds to 100 ns.
 */
export function writeFiletimeFromUnixMs(view: DataView, offset: number, unixMs: number): void {
  const whole = Math.floor(unixMs);
  const fraction = Math.round((unixMs - whole) * 10_000);
  const ms = whole + EPOCH_MS;
  const msHigh = Math.floor(ms / TWO_32);
  const msLow = ms - msHigh * TWO_32;
  // ms × 10,000 split across the halves; every product stays below 2^53.
  const lowSum = msLow * 10_000 + fraction;
  const carry = Math.floor(lowSum / TWO_32);
  view.setUint32(offset, lowSum - carry * TWO_32, true);
  view.setUint32(offset + 4, msHigh * 10_000 + carry, true);
}

/** The largest nanosecond count since 1970 a pcapng timestamp holds (u64 ns, year 2554). */
const MAX_UNIX_NS = 0xffff_ffff_ffff_ffffn;

/**
 * FILETIME ticks as nanoseconds since 1970, for pcapng. A FILETIME comes
 * from the network and may be anything an i64 holds: one before 1970 is
 * clamped to 0 and one past the u64-nanosecond range to its maximum, with
 * `clamped` set, never an exception.
 */
export function unixNsFromFiletime(filetime: bigint): { ns: bigint; clamped: boolean } {
  const ns = (filetime - FILETIME_UNIX_EPOCH) * 100n;
  if (ns < 0n) return { ns: 0n, clamped: true };
  if (ns > MAX_UNIX_NS) return { ns: MAX_UNIX_NS, clamped: true };
  return { ns, clamped: false };
}
