/**
 * NKey seeds and `.creds` files, checked without the NATS client: a
 * configuration check must say "this seed does not parse" before the host
 * starts, synchronously, and a host without NATS must never load the
 * client. A seed is base32 (RFC 4648, no padding) of two prefix octets
 * (the seed marker `S` and the key type: `U` for a user), the 32-octet
 * Ed25519 seed and a CRC-16/XMODEM of the rest, little-endian: 58
 * characters, `SU…` for a user. Nothing here ever quotes the seed.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SEED_PREFIX = 18 << 3;
const USER_TYPE = 20 << 3;
const SEED_CHARACTERS = 58;
const SEED_OCTETS = 36;

/** Why `text` is not an NKey user seed, or undefined when it is one. Never echoes `text`. */
export function nkeyUserSeedProblem(text: string): string | undefined {
  const seed = text.trim();
  if (seed.length !== SEED_CHARACTERS)
    return `an NKey user seed is ${SEED_CHARACTERS} characters (SU…), this is ${seed.length}`;
  const raw = base32Decode(seed);
  if (raw === undefined || raw.length !== SEED_OCTETS)
    return 'not an NKey seed: characters outside base32 (A-Z, 2-7)';
  if (raw === PADDING_SET)
    return 'not an NKey seed: its last character has padding bits set (a typo?)';
  const body = raw.subarray(0, SEED_OCTETS - 2);
  const stored = (raw[SEED_OCTETS - 2] as number) | ((raw[SEED_OCTETS - 1] as number) << 8);
  if (crc16(body) !== stored) return 'not an NKey seed: its checksum does not match';
  const first = raw[0] as number;
  const second = raw[1] as number;
  if ((first & 0xf8) !== SEED_PREFIX) return 'not an NKey seed (a seed starts with S)';
  const type = ((first & 0x07) << 5) | ((second & 0xf8) >> 3);
  if (type !== USER_TYPE) return 'an NKey seed, but not a user seed (a user seed starts with SU)';
  return undefined;
}

/** The user seed inside a `.creds` file's text, or why there is none. */
export function credsProblem(text: string): string | undefined {
  const jwt = /-{3,}BEGIN NATS USER JWT-{3,}\s*\n\s*(\S+)\s*\n\s*-{3,}END NATS USER JWT-{3,}/.exec(
    text,
  );
  if (jwt === null) return 'not a .creds file: no NATS USER JWT block';
  const seed =
    /-{3,}BEGIN USER NKEY SEED-{3,}\s*\n\s*(\S+)\s*\n\s*-{3,}END USER NKEY SEED-{3,}/.exec(text);
  if (seed === null) return 'not a .creds file: no USER NKEY SEED block';
  const problem = nkeyUserSeedProblem(seed[1] ?? '');
  return problem === undefined ? undefined : `its seed: ${problem}`;
}

/**
 * What `base32Decode` returns for text whose last character has padding
 * bits set: the octets would decode, so the checksum alone would let a
 * one-character typo there through (58 characters carry 290 bits for 288).
 */
const PADDING_SET = new Uint8Array(SEED_OCTETS);

function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const character of text) {
    const digit = BASE32.indexOf(character);
    if (digit < 0) return undefined;
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return PADDING_SET;
  return out.subarray(0, index);
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as NKeys check their encodings. */
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const octet of data) {
    crc ^= octet << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}
