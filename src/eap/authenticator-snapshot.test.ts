import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { VirtualClock } from '../testing/index.js';
import { EapCode, EapType, emitEap } from '../wire/eap.js';
import { EapAuthenticator } from './authenticator.js';
import {
  decodeAuthenticatorSnapshot,
  encodeAuthenticatorSnapshot,
  type AuthenticatorSnapshot,
} from './authenticator-snapshot.js';
import { createMd5Method } from './methods/md5.js';
import { createMschapV2Method } from './methods/mschapv2.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const identityResponse = (id: number) => {
  const buffer = new Uint8Array(64);
  const n = emitEap(
    {
      code: EapCode.Response,
      identifier: id,
      type: EapType.Identity,
      typeData: new TextEncoder().encode('bob'),
    },
    buffer,
  );
  return buffer.subarray(0, n);
};

function authenticator(methods = [md5, mschapv2], sent: Uint8Array[] = []) {
  return {
    clock: new VirtualClock(),
    methods,
    send: (p: Uint8Array) => sent.push(p.slice()),
  };
}

describe('EapAuthenticator snapshot / restore', () => {
  it('property: a snapshot round-trips through the codec', () => {
    const snapshot = fc.record({
      outstanding: fc.oneof(
        fc.record({
          kind: fc.constant('identity' as const),
          identifier: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({
          kind: fc.constant('method' as const),
          identifier: fc.integer({ min: 0, max: 255 }),
          timed: fc.boolean(),
          interactive: fc.boolean(),
        }),
      ),
      lastRequestId: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      lastResponseId: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      rounds: fc.integer({ min: 0, max: 0xffff }),
      retransmissions: fc.integer({ min: 0, max: 0xffff }),
      identity: fc.option(fc.string(), { nil: undefined }),
      tried: fc.array(fc.integer({ min: 1, max: 253 }), { minLength: 1, maxLength: 5 }),
      providerAttributes: fc.array(
        fc.oneof(
          fc.record({
            type: fc.integer({ min: 1, max: 25 }),
            value: fc.uint8Array({ maxLength: 40 }),
          }),
          fc.record({
            type: fc.constant(26 as const),
            vendorId: fc.integer({ min: 0, max: 0xffffffff }),
            vendorType: fc.integer({ min: 0, max: 255 }),
            value: fc.uint8Array({ maxLength: 40 }),
          }),
        ),
        { maxLength: 4 },
      ),
      methodState: fc.uint8Array({ minLength: 1, maxLength: 80 }),
    });
    fc.assert(
      fc.property(snapshot, (drawn) => {
        const s: AuthenticatorSnapshot = {
          ...drawn,
          methodState: drawn.outstanding.kind === 'method' ? drawn.methodState : undefined,
        };
        expect(decodeAuthenticatorSnapshot(encodeAuthenticatorSnapshot(s))).toEqual(s);
      }),
    );
  });

  it('property: garbage never throws: snapshot decoder, restore and both methods', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        decodeAuthenticatorSnapshot(garbage);
        EapAuthenticator.restore(authenticator(), garbage);
        md5.restoreState?.(garbage, { authenticator: true });
        mschapv2.restoreState?.(garbage, { authenticator: true });
      }),
    );
  });

  it.each([
    ['MD5', md5],
    ['MSCHAPv2', mschapv2],
  ] as const)(
    '%s: restored elsewhere, it awaits the same Response with the same Request',
    (_n, method) => {
      const sent: Uint8Array[] = [];
      const first = new EapAuthenticator({
        ...authenticator([method], sent),
        initialIdentifier: 7,
      });
      first.start();
      first.receive(identityResponse(7));
      const saved = first.snapshot();
      expect(saved).toBeDefined();
      const again: Uint8Array[] = [];
      const clock = new VirtualClock();
      const second = EapAuthenticator.restore(
        {
          ...authenticator([method], again),
          clock,
          retransmit: { initialTimeoutMs: 100, maxTimeoutMs: 100, maxRetransmissions: 1 },
        },
        saved as Uint8Array,
      );
      expect(second?.outstandingIdentifier).toBe(first.outstandingIdentifier);
      expect(second?.identity).toBe('bob');
      // Its timer resends the very Request the first one sent.
      clock.advance(100);
      expect(again[0]).toEqual(sent.at(-1));
    },
  );

  it('no snapshot of a method without saveState, nor before it started', () => {
    const plain = { ...md5, saveState: undefined };
    const a = new EapAuthenticator(authenticator([plain]));
    expect(a.snapshot()).toBeUndefined();
    a.start();
    a.receive(identityResponse(0));
    expect(a.snapshot()).toBeUndefined();
  });
});
