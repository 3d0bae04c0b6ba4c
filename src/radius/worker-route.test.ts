import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  type EapMethod,
} from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  attributeValue,
  parseRadius,
  signAccessRequest,
  type RadiusEapResult,
  type RadiusEndpoint,
} from './index.js';
import {
  MAX_WORKERS,
  WORKER_STATE_MARKER,
  duplicateKeyWorker,
  routeRequest,
  stateWorker,
  workerStatePrefix,
} from './worker-route.js';

const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const secret = new TextEncoder().encode('testing123');
const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });

function request(
  attributes: { type: number; value: Uint8Array }[],
  id = 1,
  authenticator?: Uint8Array,
) {
  return signAccessRequest(
    nodeCrypto,
    RadiusCode.AccessRequest,
    id,
    authenticator ?? nodeCrypto.randomBytes(16),
    attributes,
    secret,
  );
}

/** `workers` server cores, each with its State prefix, behind the router: a pool in memory. */
function pool(workers: number, clock: VirtualClock, reply: (datagram: Uint8Array) => void) {
  const cores = Array.from(
    { length: workers },
    (_, i) =>
      new RadiusServer({
        clock,
        crypto: nodeCrypto,
        clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
        methods: [md5, mschapv2],
        users,
        statePrefix: workerStatePrefix(i),
        send: (datagram) => reply(datagram),
      }),
  );
  const routed = { state: 0, hash: 0, across: 0 };
  const receive = (datagram: Uint8Array, from: RadiusEndpoint) => {
    const route = routeRequest(datagram, from.address, from.port, workers);
    if (route.by === 'state') {
      routed.state++;
      if (route.hashWorker !== route.worker) routed.across++;
    } else routed.hash++;
    cores[route.worker]!.receive(datagram, from);
  };
  return { cores, routed, receive };
}

describe('worker routing (State prefix, duplicate-key hash)', () => {
  it('sends every later round of a conversation to the worker whose State it carries, even when its hash points elsewhere', () => {
    const clock = new VirtualClock();
    const clients: RadiusEapClient[] = [];
    const results: RadiusEapResult[] = [];
    const box: { current?: RadiusEapClient } = {};
    const p = pool(3, clock, (datagram) => box.current?.receive(datagram, SERVER));
    const methods: readonly EapMethod[][] = [[md5], [mschapv2]];
    for (let i = 0; i < 60; i++) {
      const nas: RadiusEndpoint = { address: '127.0.0.1', port: 40000 + i };
      const client = new RadiusEapClient({
        clock,
        crypto: nodeCrypto,
        servers: [{ ...SERVER, secret: 'testing123' }],
        methods: methods[i % 2]!,
        identity: 'bob',
        password: 'hello',
        send: (datagram) => p.receive(datagram, nas),
        onResult: (r) => results.push(r),
      });
      clients.push(client);
      box.current = client;
      client.start();
    }
    expect(results).toHaveLength(60);
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    // Without State routing these rounds would have reached a worker that does not know them.
    expect(p.routed.across).toBeGreaterThan(10);
    expect(p.routed.hash).toBe(60);
    // Every worker got conversations, and none is left open.
    for (const core of p.cores) {
      expect(core.stats().sessionsStarted).toBeGreaterThan(0);
      expect(core.stats().sessions).toBe(0);
    }
  });

  it('a retransmitted first request reaches the same worker and is answered from its duplicate cache', () => {
    const clock = new VirtualClock();
    const replies: Uint8Array[] = [];
    const p = pool(4, clock, (datagram) => replies.push(datagram));
    for (let i = 0; i < 40; i++) {
      const nas = { address: `127.0.0.${1 + (i % 5)}`, port: 50000 + i };
      const first = request(
        [
          { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
          {
            type: RadiusAttributeType.EapMessage,
            value: Uint8Array.of(2, i, 0, 8, 1, 98, 111, 98),
          },
        ],
        i,
      );
      p.receive(first, nas);
      p.receive(first, nas);
    }
    const stats = p.cores.map((c) => c.stats());
    expect(stats.reduce((n, s) => n + s.duplicatesAnswered, 0)).toBe(40);
    expect(stats.reduce((n, s) => n + s.sessionsStarted, 0)).toBe(40);
    // Each pair of replies is byte for byte the same (the cached answer).
    for (let i = 0; i < replies.length; i += 2) expect(replies[i + 1]).toEqual(replies[i]);
    const state = attributeValue(
      (parseRadius(replies[0]!) as { ok: true; value: Parameters<typeof attributeValue>[0] }).value,
      RadiusAttributeType.State,
    );
    expect(state?.[0]).toBe(WORKER_STATE_MARKER);
    expect(state).toHaveLength(18);
  });

  it('routes by State prefix, and by the duplicate key only, for any datagram (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.uint8Array({ maxLength: 120 }),
        fc.option(fc.nat(20), { nil: undefined }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(255),
        fc.uint8Array({ maxLength: 30 }),
        (workers, junk, owner, authenticator, id, other) => {
          // Never throws, always in range, on any bytes at all.
          const anyRoute = routeRequest(junk, '127.0.0.1', 1, workers);
          expect(anyRoute.worker).toBeGreaterThanOrEqual(0);
          expect(anyRoute.worker).toBeLessThan(workers);
          const state =
            owner === undefined
              ? []
              : [
                  {
                    type: RadiusAttributeType.State,
                    value: Uint8Array.of(WORKER_STATE_MARKER, owner, 1, 2),
                  },
                ];
          const a = request(
            [{ type: RadiusAttributeType.UserName, value: Uint8Array.of(1) }, ...state],
            id,
            authenticator,
          );
          const b = request(
            [{ type: RadiusAttributeType.ReplyMessage, value: Uint8Array.of(...other, 1) }],
            id,
            authenticator,
          );
          const ra = routeRequest(a, '10.0.0.1', 1645, workers);
          if (owner !== undefined && owner < workers)
            expect(ra).toMatchObject({ by: 'state', worker: owner });
          else expect(ra.by).toBe('hash');
          // Same duplicate key, other attributes: same worker when routed by hash.
          expect(routeRequest(b, '10.0.0.1', 1645, workers).worker).toBe(
            duplicateKeyWorker(a, '10.0.0.1', 1645, workers),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it('hashes one NAS address alike in every spelling a socket gives it (property, issue 16)', () => {
    // A dual-stack socket reports an IPv4 NAS as ::ffff:a.b.c.d, an IPv4 socket as a.b.c.d:
    // one request must reach the one worker whose duplicate cache holds its answer.
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: MAX_WORKERS }),
        fc.uint8Array({ minLength: 20, maxLength: 60 }),
        fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
        fc.integer({ min: 1, max: 65_535 }),
        fc.constantFrom('::ffff:', '::FFFF:', '0:0:0:0:0:ffff:'),
        (workers, datagram, octets, port, mappedPrefix) => {
          const quad = octets.join('.');
          expect(duplicateKeyWorker(datagram, `${mappedPrefix}${quad}`, port, workers)).toBe(
            duplicateKeyWorker(datagram, quad, port, workers),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores a State it did not set, and truncated or lying attribute headers', () => {
    const foreign = request([
      { type: RadiusAttributeType.State, value: Uint8Array.of(1, 2, 3, 4) },
    ]);
    expect(stateWorker(foreign, 4)).toBe(-1);
    const tooHigh = request([
      { type: RadiusAttributeType.State, value: Uint8Array.of(WORKER_STATE_MARKER, 9) },
    ]);
    expect(stateWorker(tooHigh, 4)).toBe(-1);
    expect(stateWorker(tooHigh, 10)).toBe(9);
    const lying = tooHigh.slice();
    lying[21] = 200; // the first attribute claims to run past the end
    expect(stateWorker(lying, 10)).toBe(-1);
    expect(stateWorker(new Uint8Array(3), 2)).toBe(-1);
    expect(() => workerStatePrefix(255)).toThrow(RangeError);
    expect(() => routeRequest(tooHigh, 'x', 1, 0)).toThrow(RangeError);
  });

  it('spreads first requests over the workers', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const d = request([], i & 0xff);
      counts[routeRequest(d, '127.0.0.1', 40000 + (i % 7), 4).worker]!++;
    }
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});
