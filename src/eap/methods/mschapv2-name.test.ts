/** Kills the mutation "EAP-MSCHAPv2 Name check removed" (outside review). */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/runtime/index.js';
import { createEapPair, VirtualClock } from '../../testing/index.js';
import { parseEap } from '../../wire/eap.js';
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  createMschapV2Method,
  type EapSessionResult,
} from '../index.js';

function run(rename: boolean) {
  const results: { peer?: EapSessionResult; auth?: EapSessionResult } = {};
  const users = new StaticUserStore([
    { name: 'User', password: 'clientPass' },
    { name: 'Evil', password: 'other' },
  ]);
  const pair = createEapPair({
    clock: new VirtualClock(),
    peer: {
      methods: [createMschapV2Method({ crypto: nodeCrypto })],
      identity: 'User',
      password: 'clientPass',
      onResult: (r) => (results.peer = r),
    },
    authenticator: {
      methods: [createMschapV2Method({ crypto: nodeCrypto })],
      initialIdentifier: 7,
      provider: new LocalAuthenticationProvider({ users, crypto: nodeCrypto }),
      onResult: (r) => (results.auth = r),
    },
  });
  pair.authenticator.start();
  for (let i = 0; i < 40; i++) {
    const next = pair.queued['to-authenticator'][0];
    if (next !== undefined) {
      pair.drop('to-authenticator');
      const copy = next.slice();
      const parsed = parseEap(copy);
      // MSCHAPv2 Response: type 26, OpCode 2; the Name follows OpCode(1) ID(1) MS-Length(2) Value-Size(1) Value(49).
      if (rename && parsed.ok && parsed.value.code === 2 && copy[4] === 26 && copy[5] === 2) {
        copy.set(new TextEncoder().encode('Evil'), 5 + 54);
      }
      pair.authenticator.receive(copy);
    } else if (!pair.deliver('to-peer')) break;
  }
  return results;
}

describe('EAP-MSCHAPv2 Name in the Response', () => {
  it('a Response whose Name is not the EAP identity fails, though its NT-Response is right for the identity', () => {
    expect(run(false).auth?.outcome).toBe('success');
    const tampered = run(true);
    expect(tampered.auth?.outcome).toBe('failure');
    expect(tampered.auth?.identity).toBe('User');
  });
});
