/**
 * RADIUS conversations across the servers of a cluster, forwarded to the
 * owner of their State over a fake NATS bus: every round of a NAS's
 * conversation lands on a different server (round robin) and it still
 * succeeds; without clustering it fails; an owner gone, silent or
 * overloaded costs a counted drop and the next attempt succeeds; forged and
 * mismatched forwards are refused.
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
  RadiusAttributeType,
  RadiusCluster,
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  clusterOwner,
  clusterStatePrefix,
  decodeForwardedRequest,
  encodeForwardedRequest,
  signAccessRequest,
  type RadiusEapResult,
  type RadiusEndpoint,
} from '../../radius/index.js';
import { VirtualClock } from '../../testing/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { FakeRadiusClusterBus } from './fake-radius-link.js';

const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const users = new StaticUserStore([{ name: 'bob', password: 'hello' }]);
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });

interface Node {
  readonly id: string;
  readonly server: RadiusServer;
  readonly cluster: RadiusCluster | undefined;
}

function makeFleet(options: {
  ids: readonly string[];
  clustered?: boolean;
  forwardTimeoutMs?: number;
  maxForwardsInFlight?: number;
  clients?: readonly { address: string; secret: string; name?: string }[][];
  /** Which live server gets the first request. */
  start?: number;
}) {
  const clock = new VirtualClock();
  const bus = new FakeRadiusClusterBus();
  const box: { client?: RadiusEapClient } = {};
  const nodes: Node[] = options.ids.map((id, i) => {
    const holder: { cluster?: RadiusCluster } = {};
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: options.clients?.[i] ?? [{ address: '127.0.0.0/8', secret: 'testing123' }],
      methods: [md5, mschapv2],
      users,
      ...(options.clustered === false ? {} : { statePrefix: clusterStatePrefix(id) }),
      send: (datagram, to) => {
        if (holder.cluster?.intercept(datagram, to) === true) return;
        box.client?.receive(datagram, SERVER);
      },
    });
    const cluster =
      options.clustered === false
        ? undefined
        : new RadiusCluster(server, {
            serverId: id,
            link: bus.link(),
            clock,
            ...(options.forwardTimeoutMs === undefined
              ? {}
              : { forwardTimeoutMs: options.forwardTimeoutMs }),
            ...(options.maxForwardsInFlight === undefined
              ? {}
              : { maxForwardsInFlight: options.maxForwardsInFlight }),
          });
    holder.cluster = cluster;
    return { id, server, cluster };
  });
  /** The live nodes a round-robin NAS-side forwarder sends to. */
  const live = new Set(nodes);
  let next = options.start ?? 0;
  const deliver = (datagram: Uint8Array) => {
    const alive = nodes.filter((n) => live.has(n));
    const node = alive[next++ % alive.length] as Node;
    if (node.cluster === undefined) node.server.receive(datagram, NAS);
    else
      node.cluster.receive(datagram, NAS, 'auth', (answer) => box.client?.receive(answer, SERVER));
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
    // Asynchronous hops: settle microtasks, then let the clock run the NAS's timers.
    for (let i = 0; i < 400 && result === undefined; i++) {
      await flush();
      if (result === undefined && i % 20 === 19) clock.advance(500);
    }
    return result;
  };
  return { clock, bus, nodes, live, authenticate };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

const dropped = (nodes: readonly Node[], reason: string) =>
  nodes.reduce((n, node) => n + (node.server.stats().dropped[reason] ?? 0), 0);

describe('RadiusCluster: later rounds forwarded to the owner of the State', () => {
  it.each([
    ['EAP-MD5', md5],
    ['EAP-MSCHAPv2', mschapv2],
  ] as const)(
    '%s round robin over three servers: success, keys match, rounds forwarded',
    async (_name, method) => {
      const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
      const result = await fleet.authenticate([method]);
      expect(result?.outcome).toBe('success');
      if (method === mschapv2) expect(result?.keysMatch).toBe(true);
      const forwarded = fleet.nodes.reduce((n, x) => n + (x.cluster?.stats().forwarded ?? 0), 0);
      const answered = fleet.nodes.reduce((n, x) => n + (x.cluster?.stats().answered ?? 0), 0);
      expect(forwarded).toBeGreaterThan(0);
      expect(answered).toBe(forwarded);
      // Only the owner ever held the conversation, and it ended.
      expect(fleet.nodes.map((n) => n.server.stats().sessionsStarted).sort()).toEqual([0, 0, 1]);
      expect(fleet.nodes.every((n) => n.server.stats().sessions === 0)).toBe(true);
    },
  );

  it('without clustering the same round robin fails (the next server knows no such State)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], clustered: false });
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('failure');
    expect(result?.reason).toMatch(/^Access-Reject/);
  });

  it('property: any fleet size, method, start server and timeout: every authentication succeeds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(md5, mschapv2),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        async (size, method, skip, forwardTimeoutMs, wrong) => {
          const ids = Array.from({ length: size }, (_, i) => `s-${i}`);
          // The first round lands on any server.
          const fleet = makeFleet({ ids, forwardTimeoutMs, start: skip });
          const result = await fleet.authenticate([method], wrong ? 'nope' : 'hello');
          expect(result?.outcome).toBe(wrong ? 'failure' : 'success');
          for (const n of fleet.nodes) expect(n.cluster?.forwardsInFlight).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('the owner gone mid-conversation: rounds dropped (cluster-owner-unavailable), the attempt fails, the next succeeds', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const [a] = fleet.nodes as [Node, Node, Node];
    // Kill a as soon as it has answered the first round (it owns the conversation).
    const original = a.server.receive.bind(a.server);
    let rounds = 0;
    a.server.receive = (datagram, from, service) => {
      original(datagram, from, service);
      if (++rounds === 1) {
        a.cluster?.close();
        fleet.live.delete(a);
      }
    };
    const first = await fleet.authenticate([mschapv2]);
    expect(first?.outcome).toBe('timeout');
    expect(dropped(fleet.nodes, 'cluster-owner-unavailable')).toBeGreaterThan(0);
    const second = await fleet.authenticate([mschapv2]);
    expect(second).toMatchObject({ outcome: 'success', keysMatch: true });
  });

  it('a silent owner: the receiver drops after forwardTimeoutMs (virtual clock), counted, nothing left in flight', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'], forwardTimeoutMs: 300 });
    const [a, b] = fleet.nodes as [Node, Node];
    const state = clusterStatePrefix('a');
    fleet.bus.silent.add('a');
    const request = laterRound(state);
    b.cluster?.receive(request, NAS, 'auth', () => {
      throw new Error('no answer expected');
    });
    await flush();
    expect(b.cluster?.forwardsInFlight).toBe(1);
    fleet.clock.advance(299);
    await flush();
    expect(b.cluster?.stats().timeouts).toBe(0);
    fleet.clock.advance(1);
    await flush();
    expect(b.cluster?.stats()).toMatchObject({ forwarded: 1, timeouts: 1, answered: 0 });
    expect(b.cluster?.forwardsInFlight).toBe(0);
    expect(b.server.stats().dropped['cluster-forward-timeout']).toBe(1);
    // The owner processed it (an unknown State: Access-Reject), its answer went nowhere.
    expect(a.cluster?.stats().served).toBe(1);
  });

  it('maxForwardsInFlight bounds the waiting forwards (cluster-forward-busy)', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'], maxForwardsInFlight: 2 });
    const b = fleet.nodes[1] as Node;
    fleet.bus.silent.add('a');
    for (let i = 0; i < 5; i++)
      b.cluster?.receive(laterRound(clusterStatePrefix('a'), i), NAS, 'auth', () => {});
    expect(b.cluster?.stats()).toMatchObject({ forwarded: 2, busy: 3 });
    expect(b.server.stats().dropped['cluster-forward-busy']).toBe(3);
    fleet.clock.advance(1000);
    await flush();
    expect(b.cluster?.forwardsInFlight).toBe(0);
  });

  it('a disconnected link: cluster-forward-failed, counted', async () => {
    const clock = new VirtualClock();
    const bus = new FakeRadiusClusterBus();
    const link = bus.link();
    const server = new RadiusServer({
      clock,
      crypto: nodeCrypto,
      clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
      methods: [md5],
      users,
      send: () => {},
    });
    const cluster = new RadiusCluster(server, { serverId: 'b', link, clock });
    link.disconnected = true;
    cluster.receive(laterRound(clusterStatePrefix('a')), NAS, 'auth', () => {});
    await flush();
    expect(cluster.stats()).toMatchObject({ forwarded: 1, failed: 1 });
    expect(server.stats().dropped['cluster-forward-failed']).toBe(1);
  });

  it('forged forwards (bytes mutated on the way) are refused or fail the owner checks: never answered as valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const fleet = makeFleet({ ids: ['a', 'b'] });
          const [a, b] = fleet.nodes as [Node, Node];
          fleet.bus.tamper = (message) => {
            const i = at % message.length;
            message[i] = (message[i] as number) ^ xor;
            return message;
          };
          const answers: Uint8Array[] = [];
          b.cluster?.receive(laterRound(clusterStatePrefix('a')), NAS, 'auth', (x) =>
            answers.push(x),
          );
          await flush();
          fleet.clock.advance(1000);
          await flush();
          // The receiver settled, one way or another; the owner accepted nothing.
          expect(b.cluster?.forwardsInFlight).toBe(0);
          expect(a.server.stats().accepted).toBe(0);
          expect(answers.every((x) => x[0] !== RadiusCode.AccessAccept)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a forward naming another client entry than the owner matches is dropped there (cluster-client-mismatch)', async () => {
    const fleet = makeFleet({
      ids: ['a', 'b'],
      clients: [
        [{ address: '127.0.0.0/8', secret: 'testing123', name: 'lab' }],
        [{ address: '127.0.0.0/8', secret: 'testing123', name: 'office' }],
      ],
    });
    const [a, b] = fleet.nodes as [Node, Node];
    b.cluster?.receive(laterRound(clusterStatePrefix('a')), NAS, 'auth', () => {});
    await flush();
    expect(a.server.stats().dropped['cluster-client-mismatch']).toBe(1);
    expect(b.cluster?.stats()).toMatchObject({ forwarded: 1, ownerDropped: 1 });
    expect(b.server.stats().dropped['cluster-owner-dropped']).toBe(1);
  });
});

describe('clusterOwner and the forward framing', () => {
  const state = (id: string) => ({
    type: RadiusAttributeType.State,
    value: Uint8Array.of(...clusterStatePrefix(id), ...new Uint8Array(16)),
  });
  const packet = (attributes: { type: number; value: Uint8Array }[]) =>
    signAccessRequest(nodeCrypto, 1, 1, new Uint8Array(16), attributes, new Uint8Array(4));
  const eap = (...octets: number[]) => ({
    type: RadiusAttributeType.EapMessage,
    value: Uint8Array.of(...octets),
  });

  it('a later round names its owner; Identity, EAP-Start, no EAP or no cluster State stay local', () => {
    expect(clusterOwner(packet([state('lab-2'), eap(2, 7, 0, 6, 4, 0)]))).toBe('lab-2');
    expect(clusterOwner(packet([state('lab-2'), eap(2, 7, 0, 8, 1, 98, 111, 98)]))).toBe(undefined);
    expect(clusterOwner(packet([state('lab-2'), eap()]))).toBe(undefined);
    expect(clusterOwner(packet([state('lab-2')]))).toBe(undefined);
    expect(
      clusterOwner(
        packet([
          { type: RadiusAttributeType.State, value: Uint8Array.of(0x6e, 0, 1, 2) },
          eap(2, 7, 0, 6, 4, 0),
        ]),
      ),
    ).toBe(undefined);
  });

  it('property: clusterOwner and decodeForwardedRequest never throw on any bytes; encode/decode round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        clusterOwner(bytes);
        decodeForwardedRequest(bytes);
      }),
    );
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 0, max: 65535 }),
        fc.string({ maxLength: 60 }),
        fc.uint8Array({ minLength: 20, maxLength: 4096 }),
        (address, port, client, datagram) => {
          const back = decodeForwardedRequest(
            encodeForwardedRequest({ address, port, client, datagram }),
          );
          expect(back?.address).toBe(address);
          expect(back?.port).toBe(port);
          expect(back?.client).toBe(new TextDecoder().decode(new TextEncoder().encode(client)));
          expect(back?.datagram).toEqual(datagram);
        },
      ),
    );
  });

  it('server ids are subject tokens', () => {
    expect(() => clusterStatePrefix('a.b')).toThrow(RangeError);
    expect(() => clusterStatePrefix('')).toThrow(RangeError);
    expect(() => clusterStatePrefix('x'.repeat(33))).toThrow(RangeError);
  });
});

/** An Access-Request with a later-round EAP Response and `prefix`'s State. */
function laterRound(prefix: Uint8Array, identifier = 1): Uint8Array {
  return signAccessRequest(
    nodeCrypto,
    RadiusCode.AccessRequest,
    identifier,
    nodeCrypto.randomBytes(16),
    [
      { type: RadiusAttributeType.EapMessage, value: Uint8Array.of(2, 1, 0, 6, 4, 0) },
      { type: RadiusAttributeType.State, value: Uint8Array.of(...prefix, ...new Uint8Array(16)) },
    ],
    new TextEncoder().encode('testing123'),
  );
}
