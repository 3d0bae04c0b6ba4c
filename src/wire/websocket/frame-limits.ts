import { maskInPlace, type MaskFunction, type MaskIntoFunction } from './mask.js';

/**
 * What a frame decoder accepts (payload sizes, negotiated RSV bits, masking
 * direction, unknown opcodes) and the masking functions it unmasks with,
 * resolved once and shared between decoders with the same settings.
 */

/** Largest payload the limit check allows on the wire: `Number.MAX_SAFE_INTEGER`. */
export const MAX_FRAME_PAYLOAD = Number.MAX_SAFE_INTEGER;
/** Control frame payloads are at most 125 bytes (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Default `maxPayloadLength`: 16 MiB, the least Autobahn group 9 needs. */
export const DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

export interface FrameLimits {
  /** Largest payload accepted, in bytes (inclusive). Default 16 MiB. Over it: `frame-too-big`, 1009. */
  readonly maxPayloadLength?: number;
  /**
   * RSV bits an extension has negotiated (`ReservedBit` mask; default 0).
   * They are allowed only on the first frame of a data message, as RFC 7692
   * §6.1 requires of RSV1; anywhere else they are `reserved-bits`, 1002.
   */
  readonly reservedBits?: number;
  /**
   * `true` on a server (client frames must be masked, §5.1), `false` on a
   * client (server frames must not be), `undefined` to accept both, as
   * websocket.dll's `DISABLE_MASKING` does.
   */
  readonly expectMasked?: boolean;
  /** Accept opcodes 3-7 and 11-15 instead of failing with `unknown-opcode`. Default false. */
  readonly allowUnknownOpcodes?: boolean;
  /** Unmasks payloads; default `maskInPlace` (a host may inject a native one). */
  readonly mask?: MaskFunction;
  /**
   * Unmasks a payload while copying it into `next(into)`'s buffer; default
   * `maskInto` (a copy, then `mask` in place). A host may inject a one-pass
   * loop.
   */
  readonly maskInto?: MaskIntoFunction;
}

/** `FrameLimits` checked and defaulted, as the header checks read them. */
export interface ResolvedLimits {
  readonly maxPayloadLength: number;
  readonly reservedBits: number;
  readonly expectMasked: boolean | undefined;
  readonly allowUnknownOpcodes: boolean;
}

/** The masking functions a decoder uses (one shared object per pair: a field per connection adds up). */
export interface Maskers {
  readonly mask: MaskFunction;
  readonly maskInto: MaskIntoFunction | undefined;
}

const DEFAULT_MASKERS: Maskers = Object.freeze({ mask: maskInPlace, maskInto: undefined });
const sharedMaskers = new Map<MaskFunction, Map<MaskIntoFunction | undefined, Maskers>>();

/** The shared `Maskers` for this pair (hosts inject a few module-level functions). */
export function maskersFor(
  mask: MaskFunction | undefined,
  into: MaskIntoFunction | undefined,
): Maskers {
  if (mask === undefined && into === undefined) return DEFAULT_MASKERS;
  const m = mask ?? maskInPlace;
  let byInto = sharedMaskers.get(m);
  if (byInto === undefined) {
    if (sharedMaskers.size >= 64) sharedMaskers.clear();
    byInto = new Map();
    sharedMaskers.set(m, byInto);
  }
  let known = byInto.get(into);
  if (known === undefined) {
    if (byInto.size >= 64) byInto.clear();
    known = Object.freeze({ mask: m, maskInto: into });
    byInto.set(into, known);
  }
  return known;
}

/** Decoders with the same limits share one resolved object (one per connection adds up). */
const sharedResolved = new Map<string, ResolvedLimits>();

export function sharedLimits(limits: FrameLimits): ResolvedLimits {
  const resolved = resolveLimits(limits);
  const key = `${resolved.maxPayloadLength},${resolved.reservedBits},${String(resolved.expectMasked)},${resolved.allowUnknownOpcodes}`;
  const known = sharedResolved.get(key);
  if (known !== undefined) return known;
  if (sharedResolved.size >= 64) sharedResolved.clear();
  sharedResolved.set(key, resolved);
  return resolved;
}

export function resolveLimits(limits: FrameLimits): ResolvedLimits {
  const maxPayloadLength = limits.maxPayloadLength ?? DEFAULT_MAX_FRAME_PAYLOAD;
  if (!Number.isSafeInteger(maxPayloadLength) || maxPayloadLength < 0) {
    throw new RangeError(
      `maxPayloadLength must be a non-negative safe integer: got ${String(maxPayloadLength)}`,
    );
  }
  const reservedBits = limits.reservedBits ?? 0;
  if (!Number.isInteger(reservedBits) || reservedBits < 0 || reservedBits > 7) {
    throw new RangeError(
      `reservedBits must be a 3-bit mask from 0 to 7: got ${String(reservedBits)}`,
    );
  }
  return {
    maxPayloadLength,
    reservedBits,
    expectMasked: limits.expectMasked,
    allowUnknownOpcodes: limits.allowUnknownOpcodes ?? false,
  };
}
