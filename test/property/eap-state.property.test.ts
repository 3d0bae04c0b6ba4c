import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/bytes/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import {
  EapMethodFlag,
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  type EapMethod,
} from '../../src/eap/index.js';
import { VirtualClock, createEapPair, type EapWireRecord } from '../../src/testing/index.js';
import { EapCode, encodeEap, parseEap } from '../../src/wire/index.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });

/** An authenticator method the peer lacks (so the peer Naks it). */
const unknownToPeer: EapMethod = {
  info: { type: 98, name: 'other', flags: EapMethodFlag.Authenticator },
  begin: (input) => input.initialId,
  end: () => {},
  makeMessage: (id: number, received) =>
    received === null
      ? {
          action: 'send-with-timeout',
          packet: { code: EapCode.Request, identifier: id, type: 98, typeData: new Uint8Array(1) },
        }
      : { error: 722 },
};

const settings = fc.record({
  initialTimeoutMs: fc.integer({ min: 1, max: 5000 }),
  extraMaxMs: fc.integer({ min: 0, max: 20000 }),
  maxRetransmissions: fc.integer({ min: 0, max: 6 }),
  initialIdentifier: fc.integer({ min: 0, max: 255 }),
  password: fc.constantFrom('hello', 'wrong'),
  policy: fc.constantFrom('md5', 'nak-then-md5', 'unknown-only', 'mschapv2'),
  peerHasMd5: fc.boolean(),
});

type Event =
  | { kind: 'deliver' | 'drop'; to: 'to-peer' | 'to-authenticator' }
  | { kind: 'duplicate-to-peer' }
  | { kind: 'advance'; ms: number }
  | { kind: 'garbage'; to: 'to-peer' | 'to-authenticator'; bytes: Uint8Array }
  | {
      kind: 'forge';
      to: 'to-peer' | 'to-authenticator';
      code: number;
      id: number;
      type: number;
      data: Uint8Array;
    };

const direction = fc.constantFrom('to-peer' as const, 'to-authenticator' as const);
const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), to: direction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), to: direction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate-to-peer' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 30000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      to: direction,
      bytes: fc.uint8Array({ maxLength: 24 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('forge' as const),
      to: direction,
      code: fc.integer({ min: 1, max: 4 }),
      id: fc.integer({ min: 0, max: 255 }),
      type: fc.constantFrom(1, 2, 3, 4, 26, 254),
      data: fc.uint8Array({ maxLength: 20 }),
    }),
  },
);

describe('EAP peer and authenticator under random packet and timeout sequences', () => {
  it('never violate RFC 3748 identifier and retransmission rules', () => {
    fc.assert(
      fc.property(settings, fc.array(event, { maxLength: 40 }), (s, events) => {
        const clock = new VirtualClock();
        const retransmit = {
          initialTimeoutMs: s.initialTimeoutMs,
          maxTimeoutMs: s.initialTimeoutMs + s.extraMaxMs,
          maxRetransmissions: s.maxRetransmissions,
        };
        const policy =
          s.policy === 'md5'
            ? [md5]
            : s.policy === 'nak-then-md5'
              ? [unknownToPeer, md5]
              : s.policy === 'mschapv2'
                ? [mschapv2]
                : [unknownToPeer];
        const pair = createEapPair({
          clock,
          peer: {
            methods: s.peerHasMd5 ? [md5, mschapv2] : [],
            identity: 'bob',
            password: s.password,
          },
          authenticator: {
            methods: policy,
            initialIdentifier: s.initialIdentifier,
            retransmit,
            provider: new LocalAuthenticationProvider({
              users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
              crypto: nodeCrypto,
            }),
          },
        });

        // --- what the authenticator sent: Identifier and retransmission rules ---
        let lastRequest: { hex: string; id: number; at: number; resends: number } | undefined;
        let authenticatorFinished = false;
        let resultSent = false;
        const checkAuthenticatorSend = (record: EapWireRecord) => {
          expect(authenticatorFinished || resultSent).toBe(false); // nothing after the end
          const parsed = parseEap(record.bytes);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const packet = parsed.value;
          expect(packet.code).not.toBe(EapCode.Response);
          if (packet.code === EapCode.Request) {
            const hex = toHex(record.bytes);
            if (lastRequest !== undefined && hex === lastRequest.hex) {
              // A retransmission: same Identifier, after exactly the backed-off timeout, within the limit.
              lastRequest.resends++;
              expect(lastRequest.resends).toBeLessThanOrEqual(s.maxRetransmissions);
              const expected = Math.min(
                s.initialTimeoutMs * 2 ** (lastRequest.resends - 1),
                retransmit.maxTimeoutMs,
              );
              expect(record.at - lastRequest.at).toBe(expected);
              lastRequest.at = record.at;
            } else {
              // A new Request must use a new Identifier.
              if (lastRequest !== undefined) expect(packet.identifier).not.toBe(lastRequest.id);
              lastRequest = { hex, id: packet.identifier, at: record.at, resends: 0 };
            }
          } else {
            // Success/Failure: once, with the Identifier of the Response it answers.
            expect(lastRequest?.id).toBe(packet.identifier);
            resultSent = true;
          }
        };

        // --- what the peer sent: only in answer to a Request, with its Identifier ---
        let peerLast: { id: number; hex: string } | undefined;
        let lastDeliveredToPeer: Uint8Array | undefined;
        const toPeer = (bytes: Uint8Array, sends: EapWireRecord[]) => {
          const fromPeer = sends.filter((r) => r.direction === 'to-authenticator');
          expect(fromPeer.length).toBeLessThanOrEqual(1);
          const parsed = parseEap(bytes);
          const isRequest = parsed.ok && parsed.value.code === EapCode.Request;
          if (!isRequest) expect(fromPeer).toEqual([]);
          const sent = fromPeer[0];
          if (sent === undefined || !parsed.ok) return;
          const response = parseEap(sent.bytes);
          expect(response.ok && response.value.code).toBe(EapCode.Response);
          expect(response.ok && response.value.identifier).toBe(parsed.value.identifier);
          const hex = toHex(sent.bytes);
          // A duplicate Request gets the cached Response, byte for byte.
          if (peerLast !== undefined && peerLast.id === parsed.value.identifier)
            expect(hex).toBe(peerLast.hex);
          peerLast = { id: parsed.value.identifier, hex };
        };

        const step = (action: () => void, delivered?: Uint8Array) => {
          const before = pair.wire.length;
          const peerWasDone = pair.peer.result !== undefined;
          action();
          const sends = pair.wire.slice(before);
          for (const r of sends) if (r.direction === 'to-peer') checkAuthenticatorSend(r);
          if (delivered !== undefined) toPeer(delivered, sends);
          else expect(sends.filter((r) => r.direction === 'to-authenticator')).toEqual([]); // the peer never sends on its own
          if (peerWasDone)
            expect(sends.filter((r) => r.direction === 'to-authenticator')).toEqual([]);
          if (pair.authenticator.result !== undefined) authenticatorFinished = true;
        };

        step(() => pair.authenticator.start());
        for (const e of events) {
          switch (e.kind) {
            case 'deliver': {
              const next = pair.queued[e.to][0];
              if (e.to === 'to-peer' && next !== undefined) lastDeliveredToPeer = next;
              step(() => pair.deliver(e.to), e.to === 'to-peer' ? next : undefined);
              break;
            }
            case 'drop':
              step(() => pair.drop(e.to));
              break;
            case 'duplicate-to-peer': {
              const again = lastDeliveredToPeer;
              if (again !== undefined) step(() => pair.peer.receive(again), again);
              break;
            }
            case 'advance':
              step(() => clock.advance(e.ms));
              break;
            case 'garbage':
            case 'forge': {
              const bytes =
                e.kind === 'garbage'
                  ? e.bytes
                  : encodeEap(
                      e.code <= 2
                        ? e.type === 254
                          ? {
                              code: e.code as 1 | 2,
                              identifier: e.id,
                              type: 254,
                              expanded: { vendorId: 0, vendorType: 3 },
                              typeData: new Uint8Array(0),
                            }
                          : {
                              code: e.code as 1 | 2,
                              identifier: e.id,
                              type: e.type,
                              typeData: e.data,
                            }
                        : { code: e.code as 3 | 4, identifier: e.id },
                    );
              if (e.to === 'to-peer') step(() => pair.peer.receive(bytes), bytes);
              else step(() => pair.authenticator.receive(bytes));
              break;
            }
          }
        }
        // Liveness: left alone long enough, the authenticator always finishes, and its timers are gone.
        step(() => clock.advance((retransmit.maxTimeoutMs + 1) * (s.maxRetransmissions + 2) * 2));
        expect(pair.authenticator.result).toBeDefined();
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('with only loss, duplication and delay, a finished peer and authenticator agree', () => {
    fc.assert(
      fc.property(
        settings,
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('deliver' as const), to: direction }),
            fc.record({ kind: fc.constant('drop' as const), to: direction }),
            fc.record({
              kind: fc.constant('advance' as const),
              ms: fc.integer({ min: 0, max: 30000 }),
            }),
          ),
          { maxLength: 40 },
        ),
        (s, events) => {
          const clock = new VirtualClock();
          const pair = createEapPair({
            clock,
            peer: {
              methods: s.peerHasMd5 ? [md5, mschapv2] : [],
              identity: 'bob',
              password: s.password,
            },
            authenticator: {
              methods: [md5],
              initialIdentifier: s.initialIdentifier,
              retransmit: {
                initialTimeoutMs: s.initialTimeoutMs,
                maxTimeoutMs: s.initialTimeoutMs + s.extraMaxMs,
                maxRetransmissions: s.maxRetransmissions,
              },
              provider: new LocalAuthenticationProvider({
                users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
                crypto: nodeCrypto,
              }),
            },
          });
          pair.authenticator.start();
          for (const e of events) {
            if (e.kind === 'advance') clock.advance(e.ms);
            else if (e.kind === 'drop') pair.drop(e.to);
            else pair.deliver(e.to);
          }
          pair.flush();
          const peer = pair.peer.result;
          const auth = pair.authenticator.result;
          if (peer !== undefined && auth !== undefined && auth.outcome !== 'timeout') {
            expect(peer.outcome).toBe(auth.outcome);
          }
          if (auth?.outcome === 'success') expect(s.password).toBe('hello');
          if (peer?.outcome === 'success') expect(auth?.outcome).toBe('success');
        },
      ),
      { numRuns: 200 },
    );
  });
});
