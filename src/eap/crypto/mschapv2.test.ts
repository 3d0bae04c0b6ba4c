import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes/index.js';
import { nodeCrypto } from '../../node/runtime/index.js';
import {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  mschapV2Msk,
  ntPasswordHash,
} from './index.js';

// RFC 2759 §9.2 and RFC 3079 §3.5.3: user "User", password "clientPass".
const authenticatorChallenge = fromHex('5b5d7c7d7b3f2f3e3c2c602132262628');
const peerChallenge = fromHex('21402324255e262a28295f2b3a337c7e');
const passwordHash = ntPasswordHash('clientPass');
const ntResponse = fromHex('82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df');

describe('MSCHAPv2 computations (RFC 2759 §9.2 vectors)', () => {
  it('ChallengeHash, NT-Response and the authenticator response', () => {
    expect(toHex(challengeHash(nodeCrypto, peerChallenge, authenticatorChallenge, 'User'))).toBe(
      'd02e4386bce91226',
    );
    expect(
      toHex(
        generateNtResponse(nodeCrypto, authenticatorChallenge, peerChallenge, 'User', passwordHash),
      ),
    ).toBe(toHex(ntResponse));
    expect(
      generateAuthenticatorResponse(
        nodeCrypto,
        passwordHash,
        ntResponse,
        peerChallenge,
        authenticatorChallenge,
        'User',
      ),
    ).toBe('S=407A5589115FD0D6209F510FE9C04566932CDA56');
  });

  it('refuses wrong sizes (RangeError)', () => {
    expect(() => challengeResponse(new Uint8Array(7), passwordHash)).toThrow(RangeError);
    expect(() => challengeResponse(new Uint8Array(8), new Uint8Array(15))).toThrow(RangeError);
    expect(() =>
      challengeHash(nodeCrypto, new Uint8Array(15), authenticatorChallenge, 'x'),
    ).toThrow(RangeError);
  });
});

describe('MPPE keys (RFC 3079 §3.5.3 vectors)', () => {
  it('derives the master key and both start keys', () => {
    const master = mppeMasterKey(nodeCrypto, passwordHash, ntResponse);
    expect(toHex(master)).toBe('fdece3717a8c838cb388e527ae3cdd31');
    // The RFC's SendStartKey128 is the server's send key: the client's receive key.
    expect(toHex(mppeAsymmetricStartKey(nodeCrypto, master, 16, true, true))).toBe(
      '8b7cdc149b993a1ba118cb153f56dccb',
    );
    expect(toHex(mppeAsymmetricStartKey(nodeCrypto, master, 16, false, false))).toBe(
      '8b7cdc149b993a1ba118cb153f56dccb',
    );
    expect(toHex(mppeAsymmetricStartKey(nodeCrypto, master, 16, true, false))).toBe(
      'd5f0e9521e3ea9589645e86051c82226',
    );
    expect(mppeAsymmetricStartKey(nodeCrypto, master, 8, true, true)).toHaveLength(8);
  });

  it('builds the 64-byte EAP-MSCHAPv2 MSK: server receive key, server send key, 32 zeros', () => {
    expect(toHex(mschapV2Msk(nodeCrypto, passwordHash, ntResponse))).toBe(
      'd5f0e9521e3ea9589645e86051c82226' + '8b7cdc149b993a1ba118cb153f56dccb' + '00'.repeat(32),
    );
  });
});
