/**
 * The local authentication provider behind the `authenticate` action: what
 * RAS's provider can check (PAP and MD5-CHAP), plus MS-CHAPv2 the way a
 * RADIUS server checks it (MS-CHAP-Challenge and MS-CHAP2-Response in,
 * MS-CHAP2-Success and the MS-MPPE keys out, RFC 2548), against a
 * `UserStore`: MS-CHAPv2 needs only the NT hash. A
 * RADIUS client provider comes with netrx/radius. Unknown users and wrong
 * credentials both give 691, so the answer does not reveal which users exist.
 */
import type { Crypto } from '../runtime/index.js';
import {
  AuthAttributeType,
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  findAttribute,
  type AuthAttribute,
} from './attributes.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  mppeAsymmetricStartKey,
  mppeMasterKey,
  ntPasswordHash,
} from './crypto/index.js';
import type {
  AuthenticationProvider,
  AuthenticationRequest,
  AuthenticationResult,
} from './method-runner.js';
import { EapResultCode } from './result-codes.js';
import type { UserStore } from './user-store.js';
import { concat, utf8Bytes } from '../bytes/index.js';

const decoder = new TextDecoder();

/** NT hashes of cleartext passwords recently checked (MD4 in TypeScript per MSCHAPv2 auth before). */
const ntHashes = new Map<string, Uint8Array>();
const MAX_NT_HASHES = 1024;

function cachedNtHash(password: string): Uint8Array {
  const known = ntHashes.get(password);
  if (known !== undefined) return known;
  const hash = ntPasswordHash(password);
  if (ntHashes.size >= MAX_NT_HASHES) ntHashes.clear(); // bounded
  ntHashes.set(password, hash);
  return hash;
}

/**
 * Compares two passwords (at most 128 octets, RFC 2865 §5.2) in time that
 * depends on neither their contents nor their lengths: both are zero-padded
 * to 128 octets and the lengths folded into the difference.
 */
export function constantTimePasswordEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.max(128, a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Compares in time that depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export interface LocalProviderOptions {
  readonly users: UserStore;
  readonly crypto: Crypto;
}

export class LocalAuthenticationProvider implements AuthenticationProvider {
  private readonly users: UserStore;
  private readonly crypto: Crypto;
  /** Checks by outcome, for tests and the status endpoint. */
  readonly counts = { accepted: 0, rejected: 0 };

  constructor(options: LocalProviderOptions) {
    this.users = options.users;
    this.crypto = options.crypto;
  }

  authenticate(
    request: AuthenticationRequest,
    complete: (result: AuthenticationResult) => void,
  ): void {
    const mschap = this.checkMschapV2(request);
    let result = mschap ?? this.check(request);
    if (result.resultCode === 0) {
      // The user's reply items (VLAN assignment, …) go with the acceptance.
      const reply = this.users.lookup(nameOf(request) ?? '')?.reply;
      if (reply !== undefined && reply.length > 0)
        result = { ...result, attributes: [...(result.attributes ?? []), ...reply] };
    }
    if (result.resultCode === 0) this.counts.accepted++;
    else this.counts.rejected++;
    complete(result);
  }

  /** MS-CHAPv2 (RFC 2759 §8), or undefined when the request carries no MS-CHAP2-Response. */
  private checkMschapV2(request: AuthenticationRequest): AuthenticationResult | undefined {
    const vendor = (vendorType: number) =>
      findAttribute(request.attributes, AuthAttributeType.VendorSpecific, {
        vendorId: MICROSOFT_VENDOR_ID,
        vendorType,
      })?.value;
    const response = vendor(MicrosoftAttributeType.MsChap2Response);
    if (response === undefined) return undefined;
    const fail = { resultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE };
    const challenge = vendor(MicrosoftAttributeType.MsChapChallenge);
    const nameAttribute = findAttribute(request.attributes, AuthAttributeType.UserName);
    const name =
      nameAttribute === undefined ? request.identity : decoder.decode(nameAttribute.value);
    if (challenge?.length !== 16 || response.length !== 50 || name === undefined) return fail;
    const user = this.users.lookup(name);
    const hash =
      user?.ntHash ?? (user?.password === undefined ? undefined : cachedNtHash(user.password));
    if (hash === undefined) return fail;
    const peerChallenge = response.subarray(2, 18);
    const ntResponse = response.subarray(26, 50);
    const userName = name.slice(name.lastIndexOf('\\') + 1);
    const expected = generateNtResponse(this.crypto, challenge, peerChallenge, userName, hash);
    if (!constantTimeEqual(expected, ntResponse)) return fail;
    const success = generateAuthenticatorResponse(
      this.crypto,
      hash,
      ntResponse,
      peerChallenge,
      challenge,
      userName,
    );
    const master = mppeMasterKey(this.crypto, hash, ntResponse);
    // The server's view (RFC 3079 §3.4): its send key is the peer's receive key.
    const attributes: AuthAttribute[] = [
      vendorAttribute(
        MicrosoftAttributeType.MsChap2Success,
        concat([Uint8Array.of(response[0] as number), utf8Bytes(success)]),
      ),
      vendorAttribute(
        MicrosoftAttributeType.MsMppeSendKey,
        mppeAsymmetricStartKey(this.crypto, master, 16, true, true),
      ),
      vendorAttribute(
        MicrosoftAttributeType.MsMppeRecvKey,
        mppeAsymmetricStartKey(this.crypto, master, 16, false, true),
      ),
    ];
    master.fill(0);
    return { resultCode: 0, attributes };
  }

  private check(request: AuthenticationRequest): AuthenticationResult {
    const fail = (reason: string): AuthenticationResult => ({
      resultCode: EapResultCode.ERROR_AUTHENTICATION_FAILURE,
      reason,
    });
    const nameAttribute = findAttribute(request.attributes, AuthAttributeType.UserName);
    const name =
      nameAttribute === undefined ? request.identity : decoder.decode(nameAttribute.value);
    if (name === undefined) return fail('no-user-name');
    const user = this.users.lookup(name);
    const chapPassword = findAttribute(request.attributes, AuthAttributeType.ChapPassword);
    if (chapPassword !== undefined) {
      const challenge = findAttribute(request.attributes, AuthAttributeType.ChapChallenge);
      if (challenge === undefined || chapPassword.value.length !== 17)
        return fail('malformed-chap');
      if (user === undefined) return fail('unknown-user');
      // CHAP (RFC 1994) hashes the cleartext: an NT hash cannot check it.
      if (user.password === undefined) return fail('chap-needs-cleartext-password');
      const expected = this.crypto.digest(
        'md5',
        chapPassword.value.subarray(0, 1),
        utf8Bytes(user.password),
        challenge.value,
      );
      return constantTimeEqual(expected, chapPassword.value.subarray(1))
        ? { resultCode: 0 }
        : fail('wrong-password');
    }
    const password = findAttribute(request.attributes, AuthAttributeType.UserPassword);
    if (password !== undefined) {
      if (user === undefined) return fail('unknown-user');
      if (user.password !== undefined) {
        return constantTimePasswordEqual(utf8Bytes(user.password), password.value)
          ? { resultCode: 0 }
          : fail('wrong-password');
      }
      if (user.ntHash !== undefined) {
        // PAP against an NT-Password: MD4 of the UTF-16LE password, as FreeRADIUS's pap module does.
        const hash = ntPasswordHash(decoder.decode(password.value));
        return constantTimeEqual(hash, user.ntHash) ? { resultCode: 0 } : fail('wrong-password');
      }
      return fail('no-credentials');
    }
    // Fail closed: a request carrying no credential proves nothing, even for a known user.
    return fail(user === undefined ? 'unknown-user' : 'no-credentials');
  }
}

function nameOf(request: AuthenticationRequest): string | undefined {
  const attribute = findAttribute(request.attributes, AuthAttributeType.UserName);
  return attribute === undefined ? request.identity : decoder.decode(attribute.value);
}

function vendorAttribute(vendorType: number, value: Uint8Array): AuthAttribute {
  return {
    type: AuthAttributeType.VendorSpecific,
    vendorId: MICROSOFT_VENDOR_ID,
    vendorType,
    value,
  };
}
