/** Recognising the transfer syntaxes a bind offers. */
import { BTFN_UUID_PREFIX, NDR20_SYNTAX, NDR64_SYNTAX } from './constants.js';
import type { SyntaxId } from './parse.js';

export const isNdr20 = (s: SyntaxId): boolean =>
  s.uuid === NDR20_SYNTAX.uuid && s.major === NDR20_SYNTAX.version && s.minor === 0;
export const isNdr64 = (s: SyntaxId): boolean =>
  s.uuid === NDR64_SYNTAX.uuid && s.major === NDR64_SYNTAX.version;

/**
 * The feature bitmask of a bind-time feature negotiation syntax
 * (`6cb71c2c-9812-4540-XXXX-000000000000`, bytes 8–9 little-endian), or
 * undefined when `s` is not one.
 */
export function btfnFeatures(s: SyntaxId): number | undefined {
  if (!s.uuid.startsWith(BTFN_UUID_PREFIX) || !s.uuid.endsWith('-000000000000')) return undefined;
  const text = s.uuid.slice(BTFN_UUID_PREFIX.length, BTFN_UUID_PREFIX.length + 4);
  const byte8 = parseInt(text.slice(0, 2), 16);
  const byte9 = parseInt(text.slice(2, 4), 16);
  return byte8 | (byte9 << 8);
}

/** The BTFN syntax offering `features`. */
export function btfnSyntax(features: number): SyntaxId {
  const hex = (n: number) => (n + 0x100).toString(16).slice(1);
  return {
    uuid: `${BTFN_UUID_PREFIX}${hex(features & 0xff)}${hex((features >> 8) & 0xff)}-000000000000`,
    major: 1,
    minor: 0,
  };
}
