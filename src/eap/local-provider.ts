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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
    const result = mschap ?? { resultCode: this.check(request) };
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
      user?.ntHash ?? (user?.password === undefined ? undefined : ntPasswordHash(user.password));
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
        Uint8Array.of(response[0] as number, ...encoder.encode(success)),
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

  private check(request: AuthenticationRequest): number {
    const fail = EapResultCode.ERROR_AUTHENTICATION_FAILURE;
    const nameAttribute = findAttribute(request.attributes, AuthAttributeType.UserName);
    const name =
      nameAttribute === undefined ? request.identity : decoder.decode(nameAttribute.value);
    if (name === undefined) return fail;
    const user = this.users.lookup(name);
    const chapPassword = findAttribute(request.attributes, AuthAttributeType.ChapPassword);
    if (chapPassword !== undefined) {
      const challenge = findAttribute(request.attributes, AuthAttributeType.ChapChallenge);
      if (challenge === undefined || chapPassword.value.length !== 17) return fail;
      if (user?.password === undefined) return fail;
      const expected = this.crypto.digest(
        'md5',
        chapPassword.value.subarray(0, 1),
        encoder.encode(user.password),
        challenge.value,
      );
      return constantTimeEqual(expected, chapPassword.value.subarray(1)) ? 0 : fail;
    }
    const password = findAttribute(request.attributes, AuthAttributeType.UserPassword);
    if (password !== undefined) {
      if (user?.password === undefined) return fail;
      return constantTimeEqual(encoder.encode(user.password), password.value) ? 0 : fail;
    }
    // Only a user name: RAS returns the user's attributes; we have none, so it is a success for known users.
    return user === undefined ? fail : 0;
  }
}

function vendorAttribute(vendorType: number, value: Uint8Array): AuthAttribute {
  return {
    type: AuthAttributeType.VendorSpecific,
    vendorId: MICROSOFT_VENDOR_ID,
    vendorType,
    value,
  };
}
