/**
 * The MSCHAPv2 computations (RFC 2759 §8) and its MPPE keys (RFC 3079 §3),
 * as pure functions over the NT password hash, so an authenticator that
 * stores only `NT-Password` can run them. SHA-1 comes from the injected
 * `Crypto`; MD4 and DES are netrx's own (Node 20 refuses both). The EAP-MSCHAPv2
 * method that frames these (opcodes, MS-CHAPv2-ID, the "S=" success message)
 * is planned; these are its tested ground.
 */
import type { Crypto } from '../../runtime/index.js';
import { desEncryptBlock, expandDesKey } from './des.js';
import { md4 } from './md4.js';

const encoder = new TextEncoder();
const ascii = (text: string) => encoder.encode(text);

const AUTH_MAGIC1 = ascii('Magic server to client signing constant');
const AUTH_MAGIC2 = ascii('Pad to make it do more than one iteration');
const KEY_MAGIC1 = ascii('This is the MPPE Master Key');
const KEY_MAGIC2 = ascii(
  'On the client side, this is the send key; on the server side, it is the receive key.',
);
const KEY_MAGIC3 = ascii(
  'On the client side, this is the receive key; on the server side, it is the send key.',
);
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes: got ${bytes.length}`);
  }
}

/**
 * ChallengeHash: the first 8 bytes of SHA-1(PeerChallenge ‖ AuthenticatorChallenge ‖ UserName).
 * `userName` is the name without any `DOMAIN\` prefix (RFC 2759 §8.2).
 */
export function challengeHash(
  crypto: Crypto,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array<ArrayBuffer> {
  checkLength('PeerChallenge', peerChallenge, 16);
  checkLength('AuthenticatorChallenge', authenticatorChallenge, 16);
  return crypto.digest('sha1', peerChallenge, authenticatorChallenge, ascii(userName)).slice(0, 8);
}

/** ChallengeResponse: three DES encryptions of the 8-byte challenge under the zero-padded hash. */
export function challengeResponse(
  challenge: Uint8Array,
  passwordHash: Uint8Array,
): Uint8Array<ArrayBuffer> {
  checkLength('Challenge', challenge, 8);
  checkLength('PasswordHash', passwordHash, 16);
  const padded = new Uint8Array(21);
  padded.set(passwordHash);
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) {
    out.set(desEncryptBlock(expandDesKey(padded.subarray(i * 7, i * 7 + 7)), challenge), i * 8);
  }
  padded.fill(0);
  return out;
}

/** GenerateNTResponse (RFC 2759 §8.1) from the NT password hash. */
export function generateNtResponse(
  crypto: Crypto,
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: string,
  passwordHash: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return challengeResponse(
    challengeHash(crypto, peerChallenge, authenticatorChallenge, userName),
    passwordHash,
  );
}

/** GenerateAuthenticatorResponse (RFC 2759 §8.7): the `S=` + 40 upper-case hex digits string. */
export function generateAuthenticatorResponse(
  crypto: Crypto,
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): string {
  checkLength('NT-Response', ntResponse, 24);
  const first = crypto.digest('sha1', md4(passwordHash), ntResponse, AUTH_MAGIC1);
  const digest = crypto.digest(
    'sha1',
    first,
    challengeHash(crypto, peerChallenge, authenticatorChallenge, userName),
    AUTH_MAGIC2,
  );
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return `S=${hex.toUpperCase()}`;
}

/** GetMasterKey (RFC 3079 §3.4): 16 bytes from the hash of the hash and the NT-Response. */
export function mppeMasterKey(
  crypto: Crypto,
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
): Uint8Array<ArrayBuffer> {
  checkLength('PasswordHash', passwordHash, 16);
  checkLength('NT-Response', ntResponse, 24);
  return crypto.digest('sha1', md4(passwordHash), ntResponse, KEY_MAGIC1).slice(0, 16);
}

/**
 * GetAsymmetricStartKey (RFC 3079 §3.4). The client's send key is the
 * server's receive key (Magic2); the client's receive key is the server's
 * send key (Magic3).
 */
export function mppeAsymmetricStartKey(
  crypto: Crypto,
  masterKey: Uint8Array,
  length: 8 | 16,
  isSend: boolean,
  isServer: boolean,
): Uint8Array<ArrayBuffer> {
  checkLength('MasterKey', masterKey, 16);
  const magic = isSend === isServer ? KEY_MAGIC3 : KEY_MAGIC2;
  return crypto.digest('sha1', masterKey, SHS_PAD1, magic, SHS_PAD2).slice(0, length);
}

/**
 * The EAP-MSCHAPv2 MSK (64 bytes, as hostapd and FreeRADIUS derive it): the
 * server's receive key ‖ the server's send key ‖ 32 zero bytes. On RADIUS,
 * MS-MPPE-Recv-Key = MSK[0..31] and MS-MPPE-Send-Key = MSK[32..63].
 */
export function mschapV2Msk(
  crypto: Crypto,
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const master = mppeMasterKey(crypto, passwordHash, ntResponse);
  const msk = new Uint8Array(64);
  msk.set(mppeAsymmetricStartKey(crypto, master, 16, false, true), 0);
  msk.set(mppeAsymmetricStartKey(crypto, master, 16, true, true), 16);
  master.fill(0);
  return msk;
}
