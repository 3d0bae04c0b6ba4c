import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { AuthAttributeType, type AuthAttribute } from './attributes.js';
import { LocalAuthenticationProvider } from './local-provider.js';
import type { AuthenticationRequest, AuthenticationResult } from './method-runner.js';
import { StaticUserStore } from './user-store.js';

const encoder = new TextEncoder();
const provider = () =>
  new LocalAuthenticationProvider({
    users: new StaticUserStore([{ name: 'alice', password: 'secret' }]),
    crypto: nodeCrypto,
  });

function run(p: LocalAuthenticationProvider, attributes: AuthAttribute[]): AuthenticationResult {
  const request: AuthenticationRequest = {
    identity: 'alice',
    method: { type: 0, name: 'PAP', flags: 0 },
    attributes,
  };
  let result: AuthenticationResult | undefined;
  p.authenticate(request, (r) => (result = r));
  if (result === undefined) throw new Error('the local provider answers synchronously');
  return result;
}

const userName = { type: AuthAttributeType.UserName, value: encoder.encode('alice') };

describe('LocalAuthenticationProvider', () => {
  it('accepts the right PAP password and rejects a wrong one', () => {
    const p = provider();
    const password = (s: string) => ({
      type: AuthAttributeType.UserPassword,
      value: encoder.encode(s),
    });
    expect(run(p, [userName, password('secret')]).resultCode).toBe(0);
    expect(run(p, [userName, password('wrong')])).toMatchObject({ reason: 'wrong-password' });
    expect(p.counts).toEqual({ accepted: 1, rejected: 1 });
  });

  // Regression: a known user with no password, CHAP or MS-CHAP2 response was accepted.
  it('fails closed when a known user presents no credential at all', () => {
    const p = provider();
    const result = run(p, [userName]);
    expect(result.resultCode).not.toBe(0);
    expect(result.reason).toBe('no-credentials');
    expect(p.counts).toEqual({ accepted: 0, rejected: 1 });
  });

  it('gives an unknown user the same result code as a wrong password', () => {
    const p = provider();
    const unknown = run(p, [{ type: AuthAttributeType.UserName, value: encoder.encode('bob') }]);
    const wrong = run(p, [
      userName,
      { type: AuthAttributeType.UserPassword, value: encoder.encode('nope') },
    ]);
    expect(unknown.resultCode).toBe(wrong.resultCode);
    expect(unknown.reason).toBe('unknown-user');
  });
});
