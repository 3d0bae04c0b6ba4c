import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
} from '../../src/eap/index.js';
import { EapolAuthenticator, EapolSupplicant, LocalEapBackend } from '../../src/eapol/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { VirtualClock, createLinkPair } from '../../src/testing/index.js';
import { EapolPacketType, emitEapolFrame, parseMac } from '../../src/wire/index.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const PAE = parseMac('01:80:c2:00:00:03')!;

const settings = fc.record({
  maxSupplicants: fc.integer({ min: 1, max: 6 }),
  portControl: fc.constantFrom('auto', 'auto', 'auto', 'force-authorized', 'force-unauthorized'),
  quietPeriodMs: fc.integer({ min: 1, max: 90_000 }),
  txPeriodMs: fc.integer({ min: 1, max: 40_000 }),
  reAuthPeriodMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })),
  reAuthMax: fc.integer({ min: 1, max: 4 }),
  authTimeoutMs: fc.integer({ min: 1, max: 150_000 }),
  password: fc.constantFrom('hello', 'wrong'),
  version: fc.integer({ min: 1, max: 3 }),
});

/** MACs 0..6; 0 is the netrx supplicant's own (frames forged from it mix with its real ones). */
const macIndex = fc.integer({ min: 0, max: 6 });
const action = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), mac: macIndex }),
  fc.record({ kind: fc.constant('logoff' as const), mac: macIndex }),
  fc.record({
    kind: fc.constant('identity' as const),
    mac: macIndex,
    id: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('eap' as const),
    mac: macIndex,
    bytes: fc.uint8Array({ minLength: 4, maxLength: 24 }),
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    mac: macIndex,
    bytes: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 70_000 }) }),
  {
    arbitrary: fc.record({
      kind: fc.constant('flush' as const),
      rounds: fc.integer({ min: 1, max: 20 }),
    }),
    weight: 6,
  },
  fc.record({ kind: fc.constant('supplicant' as const), start: fc.boolean() }),
);

function macOf(index: number, own: Uint8Array): Uint8Array {
  return index === 0 ? own : Uint8Array.of(2, 0, 0, 0, 9, index);
}

describe('EAPOL authenticator state machine (property)', () => {
  it('random frames and timeouts from random MACs keep the table, timers and port consistent', () => {
    let runsAuthenticated = 0;
    let runsEvicting = 0;
    fc.assert(
      fc.property(settings, fc.array(action, { maxLength: 80 }), (s, actions) => {
        const clock = new VirtualClock();
        const pair = createLinkPair();
        const authenticator = new EapolAuthenticator({
          adapter: pair.a,
          clock,
          portControl: s.portControl,
          maxSupplicants: s.maxSupplicants,
          eapolVersion: s.version,
          crypto: nodeCrypto,
          timers: {
            quietPeriodMs: s.quietPeriodMs,
            txPeriodMs: s.txPeriodMs,
            reAuthPeriodMs: s.reAuthPeriodMs,
            reAuthMax: s.reAuthMax,
            authTimeoutMs: s.authTimeoutMs,
          },
          backend: new LocalEapBackend({
            clock,
            methods: [md5],
            provider: new LocalAuthenticationProvider({
              users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
              crypto: nodeCrypto,
            }),
          }),
        });
        const supplicant = new EapolSupplicant({
          adapter: pair.b,
          clock,
          methods: [md5],
          identity: 'bob',
          password: s.password,
        });
        const frame = (mac: Uint8Array, type: number, body: Uint8Array) => {
          const out = new Uint8Array(18 + body.length);
          emitEapolFrame(out, PAE, mac, 2, type, body);
          return out;
        };
        supplicant.start();
        for (const a of actions) {
          switch (a.kind) {
            case 'start':
            case 'logoff':
              pair.a.indicate(
                frame(
                  macOf(a.mac, pair.b.mac),
                  a.kind === 'start' ? EapolPacketType.Start : EapolPacketType.Logoff,
                  new Uint8Array(0),
                ),
              );
              break;
            case 'identity':
              pair.a.indicate(
                frame(
                  macOf(a.mac, pair.b.mac),
                  EapolPacketType.EapPacket,
                  Uint8Array.of(2, a.id, 0, 8, 1, 0x62, 0x6f, 0x62),
                ),
              );
              break;
            case 'eap':
              pair.a.indicate(frame(macOf(a.mac, pair.b.mac), EapolPacketType.EapPacket, a.bytes));
              break;
            case 'raw': {
              const out = new Uint8Array(14 + a.bytes.length);
              out.set(PAE, 0);
              out.set(macOf(a.mac, pair.b.mac), 6);
              out.set([0x88, 0x8e], 12);
              out.set(a.bytes, 14);
              pair.a.indicate(out);
              break;
            }
            case 'advance':
              clock.advance(a.ms);
              break;
            case 'flush':
              pair.flush(a.rounds);
              break;
            case 'supplicant':
              if (a.start) supplicant.start();
              else supplicant.logoff();
              break;
          }
          const tracked = authenticator.supplicants();
          expect(tracked.length).toBeLessThanOrEqual(s.maxSupplicants);
          const authorized = tracked.filter((t) => t.authorized);
          expect(pair.a.controlledPort.stats().authorized).toBe(authorized.length);
          for (const t of tracked) {
            expect(pair.a.controlledPort.isAuthorized(parseMac(t.mac)!)).toBe(t.authorized);
            if (t.pae === 'AUTHENTICATED') expect(t.authorized).toBe(true);
            if (['HELD', 'DISCONNECTED', 'FORCE_UNAUTH', 'FORCE_AUTH'].includes(t.pae))
              expect(t.authorized).toBe(false);
          }
          // One PAE timer per session, one EAP retransmission timer per conversation, one supplicant timer.
          expect(clock.pendingTimers).toBeLessThanOrEqual(2 * tracked.length + 1);
        }
        if (authenticator.stats().succeeded > 0) runsAuthenticated++;
        if (authenticator.stats().evicted > 0) runsEvicting++;
        supplicant.close();
        authenticator.close();
        expect(pair.a.controlledPort.stats().authorized).toBe(0);
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 300 },
    );
    // The draws reach the interesting states, or the invariants above prove little.
    expect(runsAuthenticated).toBeGreaterThan(10);
    expect(runsEvicting).toBeGreaterThan(10);
  });
});
