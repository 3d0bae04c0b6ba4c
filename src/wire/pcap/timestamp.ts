import type { TimestampResolution } from './types.js';

const NS_PER_SECOND = 1_000_000_000n;

/** Whether `resolution` is one this module can represent (if_tsresol's 7-bit exponent). */
export function isValidResolution(resolution: TimestampResolution): boolean {
  return (
    (resolution.base === 10 || resolution.base === 2) &&
    Number.isInteger(resolution.exponent) &&
    resolution.exponent >= 0 &&
    resolution.exponent <= 127
  );
}

/** A converter from stored units to nanoseconds, built once per interface. */
export function unitsToNanosecondsFn(resolution: TimestampResolution): (units: bigint) => bigint {
  const exponent = resolution.exponent;
  if (resolution.base === 2) {
    const shift = BigInt(exponent);
    return (units) => (units * NS_PER_SECOND) >> shift;
  }
  if (exponent <= 9) {
    const factor = 10n ** BigInt(9 - exponent);
    return (units) => units * factor;
  }
  const divisor = 10n ** BigInt(exponent - 9);
  return (units) => units / divisor;
}

/** Stored units to nanoseconds since the epoch (rounded down for sub-ns units). */
export function unitsToNanoseconds(units: bigint, resolution: TimestampResolution): bigint {
  return unitsToNanosecondsFn(resolution)(units);
}

/** Nanoseconds to stored units (rounded down when the unit is coarser than 1 ns). */
export function nanosecondsToUnits(nanoseconds: bigint, resolution: TimestampResolution): bigint {
  const exponent = resolution.exponent;
  if (resolution.base === 2) return (nanoseconds << BigInt(exponent)) / NS_PER_SECOND;
  if (exponent >= 9) return nanoseconds * 10n ** BigInt(exponent - 9);
  return nanoseconds / 10n ** BigInt(9 - exponent);
}

/** The if_tsresol octet for `resolution`. */
export function encodeTsResol(resolution: TimestampResolution): number {
  return (resolution.base === 2 ? 0x80 : 0) | resolution.exponent;
}

/** The resolution an if_tsresol octet stands for. */
export function decodeTsResol(octet: number): TimestampResolution {
  return { base: octet & 0x80 ? 2 : 10, exponent: octet & 0x7f };
}
