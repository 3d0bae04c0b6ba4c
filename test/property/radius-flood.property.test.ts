import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { StaticUserStore, createMd5Method } from '../../src/eap/index.js';
import { RadiusAttributeType, RadiusServer, signAccessRequest } from '../../src/radius/index.js';
import { VirtualClock } from '../../src/testing/index.js';

/**
 * A flood of random, mutated and valid-but-abandoned packets from many
 * sources: no throw, and every table stays within its bound (heap flat).
 * RADIUS_FLOOD_PACKETS sets the batch (default 50 000: about 2 s here);
 * RADIUS_FLOOD_SEED the seed, so CI runs with different seeds add up.
 */
const PACKETS = Number(process.env.RADIUS_FLOOD_PACKETS ?? 50_000);
const SEED = Number(process.env.RADIUS_FLOOD_SEED ?? 1);
const secret = new TextEncoder().encode('testing123');

describe('RADIUS server flood', () => {
  it(`${PACKETS} packets: no throw, sessions, cache, per-client counts and drop reasons bounded, heap flat`, () => {
    const clock = new VirtualClock();
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: [
        { address: '127.0.0.0/8', secret: 'testing123', requireMessageAuthenticator: 'auto' },
      ],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      maxSessions: 512,
      maxSessionsPerClient: 256,
      maxCachedResponses: 1024,
      send: () => {},
    });
    const samples = fc.sample(
      fc.record({
        kind: fc.integer({ min: 0, max: 3 }),
        bytes: fc.uint8Array({ maxLength: 64 }),
        flip: fc.nat(),
        id: fc.integer({ min: 0, max: 255 }),
        source: fc.integer({ min: 0, max: 4095 }),
      }),
      { numRuns: 4096, seed: SEED },
    );
    const identity = Uint8Array.of(2, 1, 0, 8, 1, 98, 111, 98);
    let heapAfterWarmup = 0;
    for (let i = 0; i < PACKETS; i++) {
      const s = samples[i % samples.length]!;
      let bytes: Uint8Array;
      if (s.kind === 0) bytes = s.bytes;
      else {
        bytes = signAccessRequest(
          nodeCrypto,
          1,
          (s.id + i) & 0xff,
          nodeCrypto.randomBytes(16),
          [
            {
              type: RadiusAttributeType.EapMessage,
              value: s.kind === 1 ? identity : s.bytes.subarray(0, 40),
            },
          ],
          secret,
        );
        if (s.kind === 3) bytes[20 + (s.flip % (bytes.length - 20))]! ^= 1;
      }
      server.receive(bytes, {
        address: `127.0.${(s.source >> 8) & 15}.${s.source & 255}`,
        port: 1000 + (i % 7),
      });
      if (i % 64 === 0) clock.advance(1000);
      if (i === Math.floor(PACKETS / 5)) heapAfterWarmup = process.memoryUsage().heapUsed;
    }
    const stats = server.stats();
    expect(stats.sessions).toBeLessThanOrEqual(256);
    expect(stats.cachedResponses).toBeLessThanOrEqual(1024);
    expect(Object.keys(stats.dropped).length).toBeLessThanOrEqual(49);
    expect(stats.received).toBe(PACKETS);
    // Lenient: the tables are bounded above; this catches a leak of ~100 bytes per packet.
    expect(process.memoryUsage().heapUsed - heapAfterWarmup).toBeLessThan(
      64 * 1024 * 1024 + PACKETS * 100,
    );
  });
});
