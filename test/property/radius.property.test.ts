import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { StaticUserStore, createMd5Method, createMschapV2Method } from '../../src/eap/index.js';
import {
  RadiusAttributeType,
  RadiusServer,
  carriedEap,
  parseRadius,
  parseVendorSpecific,
  signAccessRequest,
} from '../../src/radius/index.js';
import { VirtualClock } from '../../src/testing/index.js';

const secret = new TextEncoder().encode('testing123');

describe('RADIUS decoders and server under random and mutated input', () => {
  it('parseRadius, carriedEap and parseVendorSpecific never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const parsed = parseRadius(bytes);
        parseVendorSpecific(bytes);
        if (parsed.ok) carriedEap(parsed.value);
      }),
      { numRuns: 2000 },
    );
  });

  it('the server never throws, answers only verified requests, and keeps its tables within their bounds', () => {
    const settings = fc.record({
      maxSessions: fc.integer({ min: 1, max: 8 }),
      maxCachedResponses: fc.integer({ min: 1, max: 8 }),
      strict: fc.boolean(),
      requireMessageAuthenticator: fc.boolean(),
    });
    const mutation = fc.record({
      signed: fc.boolean(),
      eap: fc.uint8Array({ maxLength: 40 }),
      state: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
      flips: fc.array(fc.nat(), { maxLength: 3 }),
      id: fc.integer({ min: 0, max: 255 }),
      advance: fc.integer({ min: 0, max: 40_000 }),
      raw: fc.option(fc.uint8Array({ maxLength: 60 })),
    });
    fc.assert(
      fc.property(settings, fc.array(mutation, { maxLength: 30 }), (s, steps) => {
        const clock = new VirtualClock();
        let answered = 0;
        const server = new RadiusServer({
          clock,
          crypto: nodeCrypto,
          clients: [
            {
              address: '127.0.0.1',
              secret: 'testing123',
              requireMessageAuthenticatorFirst: s.strict,
              requireMessageAuthenticator: s.requireMessageAuthenticator,
            },
          ],
          methods: [
            createMd5Method({ crypto: nodeCrypto }),
            createMschapV2Method({ crypto: nodeCrypto }),
          ],
          users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
          maxSessions: s.maxSessions,
          maxCachedResponses: s.maxCachedResponses,
          send: () => answered++,
        });
        for (const step of steps) {
          let bytes: Uint8Array;
          if (step.raw !== null) bytes = step.raw;
          else {
            const attributes = [
              { type: RadiusAttributeType.EapMessage, value: step.eap.subarray(0, 40) },
              ...(step.state === null
                ? []
                : [{ type: RadiusAttributeType.State, value: step.state }]),
            ];
            bytes = signAccessRequest(
              nodeCrypto,
              1,
              step.id,
              nodeCrypto.randomBytes(16),
              attributes,
              step.signed ? secret : Uint8Array.of(1),
            );
            for (const flip of step.flips) {
              const at = 20 + (flip % (bytes.length - 20));
              bytes[at] = (bytes[at] as number) ^ 0x01;
            }
          }
          server.receive(bytes, { address: '127.0.0.1', port: 1000 + (step.id % 3) });
          clock.advance(step.advance);
          const stats = server.stats();
          expect(stats.sessions).toBeLessThanOrEqual(s.maxSessions);
          expect(stats.cachedResponses).toBeLessThanOrEqual(s.maxCachedResponses);
        }
        // Every answer went to a request that was not dropped.
        const stats = server.stats();
        expect(answered).toBeLessThanOrEqual(stats.received - stats.droppedTotal);
      }),
      { numRuns: 200 },
    );
  });
});
