import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aes256GcmAead } from '../node/runtime/aead.js';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  openConversation,
  SEAL_HEADER_OCTETS,
  SEAL_TAG_OCTETS,
  sealConversation,
  type ConversationAead,
} from './conversation-seal.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const otherKey = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const state = Uint8Array.from([0x63, 2, 0x73, 0x31, ...new Array<number>(16).fill(7)]);
const plaintext = new TextEncoder().encode('challenge and keys');
const version = { round: 3, awaitedIdentifier: 42 };

function flip(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = (bytes[at] ?? 0) ^ mask;
}

function sealed(aead: ConversationAead = aes256GcmAead(key)): Uint8Array {
  return sealConversation(aead, nodeCrypto, state, version, plaintext);
}

describe('conversation seal (AES-256-GCM, State and version as associated data)', () => {
  it('opens what it sealed, with its version', () => {
    const opened = openConversation(aes256GcmAead(key), state, sealed());
    expect(opened).toEqual({ ok: true, version, plaintext });
  });

  it('uses a fresh nonce for every write', () => {
    const a = sealed();
    const b = sealed();
    expect(a.subarray(5, SEAL_HEADER_OCTETS)).not.toEqual(b.subarray(5, SEAL_HEADER_OCTETS));
    expect(a.length).toBe(SEAL_HEADER_OCTETS + plaintext.length + SEAL_TAG_OCTETS);
  });

  it('refuses a record under the wrong key', () => {
    expect(openConversation(aes256GcmAead(otherKey), state, sealed())).toEqual({
      ok: false,
      reason: 'authentication',
    });
  });

  it('refuses a record moved to another conversation (State in the associated data)', () => {
    const other = state.slice();
    flip(other, other.length - 1, 1);
    expect(openConversation(aes256GcmAead(key), other, sealed()).ok).toBe(false);
  });

  it('refuses a record whose header was rewritten (key id, older round, other Identifier)', () => {
    for (const at of [1, 2, 3, 4]) {
      const record = sealed();
      flip(record, at, 1);
      expect(openConversation(aes256GcmAead(key), state, record)).toEqual({
        ok: false,
        reason: 'authentication',
      });
    }
  });

  it('refuses every single flipped bit and every truncation', () => {
    const record = sealed();
    const aead = aes256GcmAead(key);
    for (let at = 0; at < record.length; at++) {
      const tampered = record.slice();
      flip(tampered, at, 0x80);
      expect(openConversation(aead, state, tampered).ok).toBe(false);
    }
    for (let length = 0; length < record.length; length++) {
      expect(openConversation(aead, state, record.subarray(0, length)).ok).toBe(false);
    }
    expect(openConversation(aead, state, record.subarray(0, 10))).toEqual({
      ok: false,
      reason: 'truncated',
    });
  });

  it('counts an AEAD that throws as a refusal, never a throw', () => {
    const throwing: ConversationAead = {
      keyId: aes256GcmAead(key).keyId,
      seal: (n, p, ad) => aes256GcmAead(key).seal(n, p, ad),
      open: () => {
        throw new Error('bad tag');
      },
    };
    expect(openConversation(throwing, state, sealed())).toEqual({
      ok: false,
      reason: 'authentication',
    });
  });

  it('property: round trip over drawn keys, States, versions and state; any other key, State or byte refuses', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 60 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (k1, k2, s, body, round, awaitedIdentifier, bit) => {
          const aead = aes256GcmAead(k1);
          const record = sealConversation(aead, nodeCrypto, s, { round, awaitedIdentifier }, body);
          expect(openConversation(aead, s, record)).toEqual({
            ok: true,
            version: { round, awaitedIdentifier },
            plaintext: body,
          });
          if (!k1.every((b, i) => b === k2[i])) {
            expect(openConversation(aes256GcmAead(k2), s, record).ok).toBe(false);
          }
          const tampered = record.slice();
          flip(tampered, bit % tampered.length, 1 << (bit % 8));
          expect(openConversation(aead, s, tampered).ok).toBe(false);
          const otherState = s.slice();
          flip(otherState, bit % otherState.length, 1);
          expect(openConversation(aead, otherState, record).ok).toBe(false);
        },
      ),
    );
  });

  it('property: garbage never throws', () => {
    const aead = aes256GcmAead(key);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (s, g) => {
        expect(openConversation(aead, s, g).ok).toBe(false);
      }),
    );
  });

  it('during a rotation: a record sealed under the previous key opens with [current, previous]', () => {
    const current = aes256GcmAead(otherKey);
    const previous = aes256GcmAead(key);
    expect(current.keyId).not.toBe(previous.keyId); // these two keys' ids differ
    const old = sealed(previous);
    expect(old[1]).toBe(previous.keyId);
    expect(openConversation(current, state, old).ok).toBe(false);
    expect(openConversation([current, previous], state, old)).toEqual({
      ok: true,
      version,
      plaintext,
    });
    const fresh = sealed(current);
    expect(openConversation([current, previous], state, fresh).ok).toBe(true);
    // Once the previous key is retired, its records no longer open.
    expect(openConversation([current], state, old)).toEqual({
      ok: false,
      reason: 'authentication',
    });
  });

  it('two keys whose ids collide: both are tried, the tag decides', () => {
    const a = { ...aes256GcmAead(key), keyId: 9 };
    const b = { ...aes256GcmAead(otherKey), keyId: 9 };
    expect(openConversation([a, b], state, sealed(b)).ok).toBe(true);
    expect(openConversation([a, b], state, sealed(a)).ok).toBe(true);
    expect(openConversation([{ ...b, keyId: 8 }], state, sealed(a)).ok).toBe(false);
  });

  it('refuses a key that is not 32 octets', () => {
    expect(() => aes256GcmAead(new Uint8Array(16))).toThrow(/32 octets/);
  });
});
