/** Opcodes and reserved bits of RFC 6455 frames: what the first header byte names. */

/** Opcodes (RFC 6455 §5.2, §11.8). Unknown opcodes are kept as plain numbers. */
export const Opcode = Object.freeze({
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const);
export type OpcodeName = keyof typeof Opcode;
export type KnownOpcode = (typeof Opcode)[OpcodeName];

/** Control frames have the top opcode bit set (0x8-0xF). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Whether `opcode` is one RFC 6455 defines (0, 1, 2, 8, 9, 10). */
export function isKnownOpcode(opcode: number): opcode is KnownOpcode {
  return opcode <= 2 || (opcode >= 8 && opcode <= 10);
}

/** The RSV bits as a 3-bit mask, in `reservedBits` options: RSV1 is 4 (0x40 on the wire). */
export const ReservedBit = Object.freeze({ Rsv1: 4, Rsv2: 2, Rsv3: 1 } as const);
