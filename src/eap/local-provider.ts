/**
 * The local authentication provider behind the `authenticate` action: what
 * RAS's provider can check (PAP and MD5-CHAP), against a `UserStore`. A
 * RADIUS client provider comes with netrx/radius. Unknown users and wrong
 * credentials both give 691, so the answer does not reveal which users exist.
 */
import type { Crypto } from '../runtime/index.js';
import { AuthAttributeType, findAttribute } from './attributes.js';
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
    const resultCode = this.check(request);
    if (resultCode === 0) this.counts.accepted++;
    else this.counts.rejected++;
    complete({ resultCode });
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
