import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import {
  EapAuthenticator,
  EapMethodFlag,
  EapPeer,
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
  type EapMethod,
  type EapSessionResult,
} from '../../src/eap/index.js';
import { VirtualClock } from '../../src/testing/index.js';
import { EapCode, parseEap } from '../../src/wire/index.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const provider = new LocalAuthenticationProvider({
  users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
  crypto: nodeCrypto,
});

describe('EAP sessions wired synchronously (send calls the other side’s receive)', () => {
  it('finish, agree, and leave no timers, whatever is lost and whatever the settings', () => {
    fc.assert(
      fc.property(
        fc.record({
          initialTimeoutMs: fc.integer({ min: 1, max: 5000 }),
          maxRetransmissions: fc.integer({ min: 0, max: 5 }),
          initialIdentifier: fc.integer({ min: 0, max: 255 }),
          password: fc.constantFrom('hello', 'nope'),
          sendCapacity: fc.integer({ min: 40, max: 1400 }),
        }),
        // Which packets the link loses, by their position on the wire.
        fc.array(fc.boolean(), { maxLength: 30 }),
        (s, lost) => {
          const clock = new VirtualClock();
          let packet = 0;
          const lose = () => lost[packet++] === true;
          const link: { auth?: EapAuthenticator; peer?: EapPeer } = {};
          let peerResult: EapSessionResult | undefined;
          let authResult: EapSessionResult | undefined;
          link.peer = new EapPeer({
            methods: [md5],
            identity: 'bob',
            password: s.password,
            sendCapacity: s.sendCapacity,
            send: (b) => (lose() ? undefined : link.auth?.receive(b.slice())),
            onResult: (r) => (peerResult = r),
          });
          link.auth = new EapAuthenticator({
            clock,
            methods: [md5],
            provider,
            initialIdentifier: s.initialIdentifier,
            sendCapacity: s.sendCapacity,
            retransmit: {
              initialTimeoutMs: s.initialTimeoutMs,
              maxTimeoutMs: s.initialTimeoutMs * 4,
              maxRetransmissions: s.maxRetransmissions,
            },
            send: (b) => (lose() ? undefined : link.peer?.receive(b.slice())),
            onResult: (r) => (authResult = r),
          });
          link.auth.start();
          clock.advance(s.initialTimeoutMs * 4 * (s.maxRetransmissions + 2) * 3);
          expect(authResult).toBeDefined();
          expect(clock.pendingTimers).toBe(0);
          if (authResult?.outcome === 'success') expect(s.password).toBe('hello');
          // A lossless run with the right password succeeds on both sides.
          if (!lost.slice(0, packet).includes(true) && s.password === 'hello') {
            expect(authResult?.outcome).toBe('success');
            expect(peerResult?.outcome).toBe('success');
          }
          if (peerResult !== undefined && authResult?.outcome !== 'timeout') {
            expect(peerResult.outcome).toBe(authResult?.outcome);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the peer’s duplicate cache', () => {
  it('answers every duplicate Request byte for byte, even when the method would answer differently now', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 40 }),
        (ids) => {
          // A method whose every answer differs (a counter), so a reprocessed duplicate would show.
          let counter = 0;
          const changing: EapMethod<null> = {
            info: { type: 200, name: 'changing', flags: EapMethodFlag.Peer },
            begin: () => null,
            end: () => {},
            makeMessage: (_ws, received) =>
              received?.code === EapCode.Request
                ? {
                    action: 'send',
                    packet: {
                      code: EapCode.Response,
                      identifier: received.identifier,
                      type: 200,
                      typeData: Uint8Array.of(counter++ & 0xff),
                    },
                  }
                : { error: 722 },
          };
          const sent: string[] = [];
          const peer = new EapPeer({
            methods: [changing],
            identity: 'x',
            send: (b) => sent.push(toHex(b)),
          });
          let previous: { id: number; answer: string } | undefined;
          for (const id of ids) {
            const before = sent.length;
            peer.receive(Uint8Array.of(1, id, 0, 5, 200));
            expect(sent.length).toBe(before + 1);
            const answer = sent.at(-1)!;
            const parsed = parseEap(
              Uint8Array.from(answer.match(/../g)!.map((h) => parseInt(h, 16))),
            );
            expect(parsed.ok && parsed.value.identifier).toBe(id);
            if (previous?.id === id) expect(answer).toBe(previous.answer);
            else if (previous !== undefined) expect(answer).not.toBe(previous.answer);
            previous = { id, answer };
          }
        },
      ),
    );
  });
});

describe('EAP sides under a flood of random and mutated packets', () => {
  it('never throw, and count every packet they refuse', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 255 }),
        (packets, initialIdentifier) => {
          const clock = new VirtualClock();
          const peer = new EapPeer({
            methods: [md5],
            identity: 'bob',
            password: 'hello',
            send: () => {},
          });
          const auth = new EapAuthenticator({
            clock,
            methods: [md5],
            provider,
            initialIdentifier,
            send: () => {},
          });
          auth.start();
          for (const p of packets) {
            // Half of them look like EAP: a valid header around random data.
            const bytes =
              p.length >= 4 && (p[0]! & 1) === 0
                ? Uint8Array.of((p[0]! % 4) + 1, p[1]!, 0, p.length, ...p.subarray(4))
                : p;
            peer.receive(bytes);
            auth.receive(bytes);
          }
          const ps = peer.stats();
          const as = auth.stats();
          expect(ps.received).toBe(packets.length);
          expect(as.received).toBe(packets.length);
          expect(Object.keys(ps.dropped).length).toBeLessThanOrEqual(33);
          expect(Object.keys(as.dropped).length).toBeLessThanOrEqual(33);
          expect(Object.values(as.dropped).reduce((a, b) => a + b, 0)).toBe(as.droppedTotal);
        },
      ),
      { numRuns: 200 },
    );
  });
});
