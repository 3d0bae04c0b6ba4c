/**
 * The Start phase of the TLS-based methods moves between processes, and
 * nothing after it does: saved after the Start Request, restored elsewhere
 * the method resends the same Start (same Identifier); once the peer's
 * ClientHello started an engine, or before the Start went out, nothing is
 * saved; foreign bytes never restore and never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EapCode, EapType, isEapMessage } from '../../wire/eap.js';
import type { EapMethod } from '../contract.js';
import type { TlsEngine, TlsEngineFactory } from '../tls/engine.js';
import { createMschapV2Method } from './mschapv2.js';
import { createPeapMethod } from './peap.js';
import { createTlsMethod, type TlsMethodState } from './tls.js';
import { createTtlsMethod } from './ttls.js';
import type { Crypto } from '../../runtime/index.js';

/** An engine factory that is never reached before the ClientHello: the Start needs none. */
const created: string[] = [];
const engines: TlsEngineFactory = {
  create(role) {
    created.push(role);
    return {} as TlsEngine;
  },
};
const crypto: Crypto = {
  randomBytes: (n: number) => new Uint8Array(n).fill(7),
} as unknown as Crypto;

const methods: readonly [string, EapMethod<TlsMethodState>, number][] = [
  ['EAP-TLS', createTlsMethod({ engines }), EapType.Tls],
  ['PEAP', createPeapMethod({ engines, inner: createMschapV2Method({ crypto }) }), EapType.Peap],
  ['TTLS', createTtlsMethod({ engines }), EapType.Ttls],
];

function startRequest(method: EapMethod<TlsMethodState>, initialId: number) {
  const state = method.begin({ authenticator: true, identity: 'anonymous', initialId });
  const result = method.makeMessage(state, null, 1020, undefined);
  if ('error' in result || result.packet === undefined || !isEapMessage(result.packet)) {
    throw new Error('no Start Request');
  }
  return { state, packet: result.packet };
}

describe('TLS-based methods: the Start phase saved and restored', () => {
  it.each(methods)(
    '%s: restored elsewhere, a timeout resends the same Start',
    (_n, method, type) => {
      const { state, packet } = startRequest(method, 42);
      expect(packet).toMatchObject({ code: EapCode.Request, identifier: 42, type });
      const saved = method.saveState?.(state);
      expect(saved).toBeInstanceOf(Uint8Array);
      const restored = method.restoreState?.(saved as Uint8Array, {
        authenticator: true,
        identity: 'anonymous',
      });
      expect(restored).toBeDefined();
      const resent = method.makeMessage(restored as TlsMethodState, null, 1020, undefined);
      expect('error' in resent ? undefined : resent.packet).toEqual(packet);
      expect(created).toEqual([]);
    },
  );

  it.each(methods)(
    '%s: nothing saved before the Start, nor once an engine exists',
    (_n, method) => {
      const fresh = method.begin({ authenticator: true, initialId: 1 });
      expect(method.saveState?.(fresh)).toBeUndefined();
      const { state } = startRequest(method, 1);
      state.channel.engine = {} as TlsEngine;
      expect(method.saveState?.(state)).toBeUndefined();
    },
  );

  it('property: foreign bytes never restore as a Start (only format 1 with one Identifier) and never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.constantFrom(...methods), (bytes, [, m]) => {
        const restored = m.restoreState?.(bytes, { authenticator: true });
        expect(restored !== undefined).toBe(bytes.length === 2 && bytes[0] === 1);
        expect(m.restoreState?.(bytes, { authenticator: false })).toBeUndefined();
      }),
    );
  });
});
