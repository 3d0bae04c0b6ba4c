/**
 * EAP conversations in a shared bucket of sealed state (fake JetStream KV
 * on a virtual clock): every round lands on a different server and is
 * answered there from the bucket, never forwarded; the server that began
 * the conversation can die after its first round; a round answered twice
 * gives one answer (compare-and-set); records expire with the bucket's
 * TTL; tampered, foreign-key and replayed records are refused, counted;
 * with the bucket away new conversations stay local.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  type EapMethod,
} from '../../eap/index.js';
import {
  RadiusCluster,
  RadiusEapClient,
  RadiusServer,
  SharedConversations,
  clusterStatePrefix,
  type RadiusEapResult,
  type RadiusEndpoint,
} from '../../radius/index.js';
import { VirtualClock } from '../../testing/index.js';
import { aes256GcmAead } from '../runtime/aead.js';
import { nodeCrypto } from '../runtime/index.js';
import { FakeConversationKv } from './fake-conversation-kv.js';
import { FakeRadiusClusterBus } from './fake-radius-link.js';

const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const KEY = nodeCrypto.randomBytes(32);
const SESSION_TIMEOUT_MS = 30_000;

interface Node {
  readonly id: string;
  readonly server: RadiusServer;
  readonly cluster: RadiusCluster;
  readonly shared: SharedConversations | undefined;
}

function makeFleet(options: {
  ids: readonly string[];
  /** Per server: its state key, or undefined for no shared state (forwarding only). */
  keys?: readonly (Uint8Array | undefined)[];
  start?: number;
  /** Deliver each request to this many servers at once (a NAS that sends one round twice). */
  copies?: number;
}) {
  const clock = new VirtualClock();
  const bus = new FakeRadiusClusterBus();
  const kv = new FakeConversationKv(clock, SESSION_TIMEOUT_MS);
  const box: { client?: RadiusEapClient } = {};
  const answers: Uint8Array[] = [];
  const nodes: Node[] = options.ids.map((id, i) => {
    const key = options.keys === undefined ? KEY : options.keys[i];
    const shared =
      key === undefined
        ? undefined
        : new SharedConversations({ kv, aead: aes256GcmAead(key), crypto: nodeCrypto });
    const holder: { cluster?: RadiusCluster } = {};
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
      methods: [md5, mschapv2],
      users,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      statePrefix: clusterStatePrefix(id),
      ...(shared === undefined ? {} : { sharedConversations: shared }),
      send: (datagram, to) => {
        if (holder.cluster?.intercept(datagram, to) === true) return;
        answers.push(datagram);
        box.client?.receive(datagram, SERVER);
      },
    });
    const cluster = new RadiusCluster(server, {
      serverId: id,
      link: bus.link(),
      clock,
      ...(shared === undefined ? {} : { shared }),
    });
    holder.cluster = cluster;
    return { id, server, cluster, shared };
  });
  const live = new Set(nodes);
  let next = options.start ?? 0;
  const deliver = (datagram: Uint8Array) => {
    const alive = nodes.filter((n) => live.has(n));
    for (let c = 0; c < (options.copies ?? 1); c++) {
      const node = alive[next++ % alive.length] as Node;
      node.cluster.receive(datagram, NAS, 'auth', (answer) => {
        answers.push(answer);
        box.client?.receive(answer, SERVER);
      });
    }
  };
  const authenticate = async (methods: readonly EapMethod[], password = 'hello') => {
    let result: RadiusEapResult | undefined;
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods,
      identity: 'bob',
      password,
      send: (datagram) => deliver(datagram),
      onResult: (r) => (result = r),
    });
    box.client = client;
    client.start();
    for (let i = 0; i < 400 && result === undefined; i++) {
      await flush();
      if (result === undefined && i % 20 === 19) clock.advance(500);
    }
    return result;
  };
  return { clock, bus, kv, nodes, live, answers, authenticate };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 12; i++) await Promise.resolve();
}

const sum = (nodes: readonly Node[], f: (n: Node) => number) =>
  nodes.reduce((total, n) => total + f(n), 0);
const dropped = (nodes: readonly Node[], reason: string) =>
  sum(nodes, (n) => n.server.stats().dropped[reason] ?? 0);

describe('shared conversation state: later rounds answered from the bucket', () => {
  it.each([
    ['EAP-MD5', md5],
    ['EAP-MSCHAPv2', mschapv2],
  ] as const)(
    '%s round robin over three servers: success, nothing forwarded',
    async (_n, method) => {
      const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
      const result = await fleet.authenticate([method]);
      expect(result?.outcome).toBe('success');
      if (method === mschapv2) expect(result?.keysMatch).toBe(true);
      expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(0);
      expect(sum(fleet.nodes, (n) => n.cluster.stats().restored)).toBeGreaterThan(0);
      expect(sum(fleet.nodes, (n) => n.shared?.stats().deleted ?? 0)).toBe(1);
      // Nothing left anywhere: the record deleted at Accept, no conversation in memory.
      expect(fleet.kv.size).toBe(0);
      expect(fleet.nodes.every((n) => n.server.stats().sessions === 0)).toBe(true);
    },
  );

  it('the server that began it dies after its first round: MSCHAPv2 still succeeds', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const a = fleet.nodes[0] as Node;
    const original = a.server.receive.bind(a.server);
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      a.cluster.close();
      fleet.live.delete(a);
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(a.server.stats().sessionsStarted).toBe(1);
    expect(dropped(fleet.nodes, 'cluster-owner-unavailable')).toBe(0);
  });

  it('without the bucket the same fleet with its owner dead fails (forwarding only)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], keys: [undefined, undefined, undefined] });
    const a = fleet.nodes[0] as Node;
    const original = a.server.receive.bind(a.server);
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      a.cluster.close();
      fleet.live.delete(a);
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('timeout');
    expect(dropped(fleet.nodes, 'cluster-owner-unavailable')).toBeGreaterThan(0);
  });

  it('one round delivered to two servers at once: one answer wins, the other is a counted conflict', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], copies: 2 });
    const result = await fleet.authenticate([md5]);
    expect(result?.outcome).toBe('success');
    expect(sum(fleet.nodes, (n) => n.shared?.stats().conflicts ?? 0)).toBeGreaterThan(0);
    expect(dropped(fleet.nodes, 'cluster-state-conflict')).toBe(
      sum(fleet.nodes, (n) => n.shared?.stats().conflicts ?? 0),
    );
  });

  it('a record expires with the bucket TTL (virtual clock): the next round finds nothing', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'] });
    const [a, b] = fleet.nodes as [Node, Node];
    // Stop after the first Access-Challenge by holding the client's answer.
    const held: Uint8Array[] = [];
    const client = new RadiusEapClient({
      clock: fleet.clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [md5],
      identity: 'bob',
      password: 'hello',
      send: (datagram) => held.push(datagram),
      onResult: () => {},
    });
    client.start();
    a.cluster.receive(held.shift() as Uint8Array, NAS, 'auth', () => {});
    await flush();
    client.receive(fleet.answers.at(-1) as Uint8Array, SERVER);
    expect(fleet.kv.size).toBe(1);
    expect(a.server.stats().sessions).toBe(0);
    fleet.clock.advance(SESSION_TIMEOUT_MS - 1);
    expect(fleet.kv.size).toBe(1);
    fleet.clock.advance(1);
    expect(fleet.kv.size).toBe(0);
    const before = fleet.bus.requests.get('a') ?? 0;
    b.cluster.receive(held.shift() as Uint8Array, NAS, 'auth', () => {});
    await flush();
    // Nothing in the bucket: forwarded to its owner, which no longer has it either.
    expect(fleet.bus.requests.get('a')).toBe(before + 1);
    expect(b.cluster.stats().restored).toBe(0);
  });

  it('a server with another key refuses the record (authentication, counted); the NAS retry reaches one with the right key', async () => {
    const other = nodeCrypto.randomBytes(32);
    const fleet = makeFleet({ ids: ['a', 'b'], keys: [KEY, other] });
    const result = await fleet.authenticate([md5]);
    expect(result?.outcome).toBe('success');
    expect(fleet.nodes[1]?.shared?.stats()).toMatchObject({ loaded: 0 });
    expect(fleet.nodes[1]?.shared?.stats().refused).toBeGreaterThan(0);
    expect(dropped(fleet.nodes, 'cluster-state-authentication')).toBeGreaterThan(0);
  });

  it('property: any bit flipped in a stored record: refused, never restored, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.constantFrom(md5, mschapv2), async (bit, method) => {
        const fleet = makeFleet({ ids: ['a', 'b'] });
        fleet.kv.tamper = (value) => {
          const copy = value.slice();
          const at = bit % copy.length;
          copy[at] = (copy[at] ?? 0) ^ (1 << (bit % 8));
          return copy;
        };
        const result = await fleet.authenticate([method]);
        expect(result?.outcome).not.toBe('success');
        expect(sum(fleet.nodes, (n) => n.cluster.stats().restored)).toBe(0);
        expect(sum(fleet.nodes, (n) => n.shared?.stats().refused ?? 0)).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });

  it('an older round put back into the bucket is refused (stale-round), not replayed', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const keys: string[] = [];
    const older: Uint8Array[] = [];
    const original = fleet.kv.update.bind(fleet.kv);
    // After the MSCHAPv2 Success Request is written, put the Challenge round's record back.
    fleet.kv.update = (key, value, revision) => {
      keys.push(key);
      older.push(fleet.kv.raw(key) as Uint8Array);
      return original(key, value, revision).then((outcome) => {
        fleet.kv.forcePut(key, older[0] as Uint8Array);
        return outcome;
      });
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).not.toBe('success');
    expect(dropped(fleet.nodes, 'cluster-state-stale-round')).toBeGreaterThan(0);
  });

  it('with the bucket away new conversations stay local (the owner answers through forwarding)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    fleet.kv.down = true;
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(sum(fleet.nodes, (n) => n.shared?.stats().writeFailed ?? 0)).toBeGreaterThan(0);
    expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBeGreaterThan(0);
  });

  it('property: fleet size, method, first server and wrong passwords drawn: the outcome is the password, the bucket ends empty', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(md5, mschapv2),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        async (size, method, start, wrong) => {
          const ids = Array.from({ length: size }, (_, i) => `s-${i}`);
          const fleet = makeFleet({ ids, start });
          const result = await fleet.authenticate([method], wrong ? 'nope' : 'hello');
          expect(result?.outcome).toBe(wrong ? 'failure' : 'success');
          expect(fleet.kv.size).toBe(0);
          expect(sum(fleet.nodes, (n) => n.cluster.stats().forwarded)).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });
});
