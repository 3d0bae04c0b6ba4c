import { nkeys } from '@nats-io/transport-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { credsProblem, nkeyUserSeedProblem } from './nkey-seed.js';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('NKey seeds (checked without the NATS client)', () => {
  it('accepts every user seed the NATS library makes, with or without a newline', () => {
    for (let i = 0; i < 50; i++) {
      const seed = decode(nkeys.createUser().getSeed());
      expect(nkeyUserSeedProblem(seed)).toBeUndefined();
      expect(nkeyUserSeedProblem(`${seed}\n`)).toBeUndefined();
    }
  });

  it('refuses seeds of other key types, and public keys', () => {
    expect(nkeyUserSeedProblem(decode(nkeys.createAccount().getSeed()))).toMatch(/not a user seed/);
    expect(nkeyUserSeedProblem(decode(nkeys.createOperator().getSeed()))).toMatch(
      /not a user seed/,
    );
    const publicKey = nkeys.createUser().getPublicKey();
    expect(nkeyUserSeedProblem(publicKey)).toBeDefined();
  });

  it('refuses any one character changed (the checksum), and never echoes the seed', () => {
    const seed = decode(nkeys.createUser().getSeed());
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seed.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
        (index, character) => {
          fc.pre(seed[index] !== character);
          const changed = `${seed.slice(0, index)}${character}${seed.slice(index + 1)}`;
          const problem = nkeyUserSeedProblem(changed);
          expect(problem).toBeDefined();
          expect(problem).not.toContain(changed.slice(2, 12));
        },
      ),
    );
  });

  it('refuses a last character whose unused low bits are set (the octets alone would still match)', () => {
    const seed = decode(nkeys.createUser().getSeed());
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(seed.at(-1) ?? '');
    // 58 characters carry 290 bits for 288: the last two bits are padding.
    const changed = `${seed.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[last ^ 1] ?? ''}`;
    expect(nkeyUserSeedProblem(changed)).toBe(
      'not an NKey seed: its last character has padding bits set (a typo?)',
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        expect(typeof (nkeyUserSeedProblem(text) ?? '')).toBe('string');
        expect(typeof (credsProblem(text) ?? '')).toBe('string');
      }),
    );
  });

  it('finds the seed in a .creds file', () => {
    const seed = decode(nkeys.createUser().getSeed());
    const creds = (s: string) =>
      `-----BEGIN NATS USER JWT-----\neyJ.e30.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${s}\n------END USER NKEY SEED------\n`;
    expect(credsProblem(creds(seed))).toBeUndefined();
    expect(credsProblem(creds(seed.replace(/.$/, seed.endsWith('A') ? 'B' : 'A')))).toMatch(
      /its seed: /,
    );
    expect(
      credsProblem('-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n'),
    ).toMatch(/no USER NKEY SEED block/);
  });
});
