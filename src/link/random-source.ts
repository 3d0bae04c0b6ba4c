/**
 * Uniform numbers in [0, 1) for the link layer's random delays (MLD's
 * answers): from the injected `Crypto`, or, when none is given, from a
 * small xorshift32 generator seeded by the adapter's MAC, so hosts on one
 * link still spread their answers (deterministic and not secret: a delay
 * needs no secrecy). Cores never call Math.random.
 */
import type { Crypto } from '../runtime/index.js';
import type { RandomSource } from './ipv6-mld.js';

/**
 * Uniform numbers in [0, 1) from `crypto`, or, without one, from a
 * xorshift32 seeded by the MAC (see `Ipv6BindingOptions.crypto`).
 */
export function randomSource(crypto: Crypto | undefined, mac: Uint8Array): RandomSource {
  if (crypto !== undefined) {
    const scratch = new Uint8Array(4);
    return () => {
      crypto.fillRandom(scratch);
      return (
        ((scratch[0] as number) * 0x1000000 +
          (((scratch[1] as number) << 16) |
            ((scratch[2] as number) << 8) |
            (scratch[3] as number))) /
        0x100000000
      );
    };
  }
  let state =
    (((mac[2] as number) << 24) |
      ((mac[3] as number) << 16) |
      ((mac[4] as number) << 8) |
      (mac[5] as number)) ^
      0x9e3779b9 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}
