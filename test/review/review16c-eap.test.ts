/**
 * Third outside review of issue 16 (review16c): EAP conversations whose
 * state is NOT in the bucket (forwarded to their owner, the path every
 * TLS-based method takes after its Start) when the owner is slow rather
 * than dead, on the fake bus, fake KV and virtual clock of
 * src/node/cluster/radius-fleet.ts. Tests named FAILS ON MAIN are
 * `it.fails` (each seen failing on main c5ee538 with `.fails` removed);
 * drop `.fails` once fixed and they are regression tests. N3 and N6 are fixed (branch r-fwd).
 */
import { describe, expect, it } from 'vitest';
import { RadiusEapClient, type RadiusEapResult } from '../../src/radius/index.js';
import type { RadiusEndpoint } from '../../src/radius/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import {
  NAS,
  SERVER,
  dropped,
  flush,
  makeFleet,
  mschapv2,
  type Node,
} from '../../src/node/cluster/radius-fleet.js';

type Fleet = ReturnType<typeof makeFleet>;

/** A client whose datagrams are held for the test to route by hand. */
function heldClient(fleet: Fleet) {
  const held: Uint8Array[] = [];
  const box: { result?: RadiusEapResult } = {};
  const client = new RadiusEapClient({
    clock: fleet.clock,
    crypto: nodeCrypto,
    servers: [{ ...SERVER, secret: 'testing123' }],
    methods: [mschapv2],
    identity: 'bob',
    password: 'hello',
    send: (datagram) => held.push(datagram.slice()),
    onResult: (r) => (box.result = r),
  });
  return { client, held, box };
}

async function deliver(node: Node, datagram: Uint8Array, fleet: Fleet, from: RadiusEndpoint = NAS) {
  const before = fleet.answers.length;
  node.cluster.receive(datagram, from, 'auth', (answer) => fleet.answers.push(answer));
  await flush();
  return fleet.answers.slice(before);
}

/** Forwarding only (no state key): a conversation lives in its owner's memory, as a TLS one does. */
function forwardingFleet() {
  return makeFleet({ ids: ['a', 'b', 'c'], keys: [undefined, undefined, undefined] });
}

/** a began the conversation; b forwards round 2 to a, whose answer arrives after b gave up. */
async function slowOwnerRound(fleet: Fleet) {
  const [a, b] = fleet.nodes as [Node, Node, Node];
  const held = heldClient(fleet);
  held.client.start();
  const first = await deliver(a, held.held.shift() as Uint8Array, fleet);
  expect(first).toHaveLength(1);
  held.client.receive(first[0] as Uint8Array, SERVER);
  const response = held.held.shift() as Uint8Array;
  // The owner is slow: it processes the round, but its answer misses b's forwardTimeoutMs.
  fleet.bus.silent.add('a');
  const atB = await deliver(b, response, fleet);
  expect(atB).toHaveLength(0);
  fleet.clock.advance(1000);
  await flush();
  expect(dropped(fleet.nodes, 'cluster-forward-timeout')).toBe(1);
  fleet.bus.silent.delete('a');
  return { held, response };
}

describe('review16c: the TLS-owner forwarding when the owner is slow, not dead', () => {
  it('holds: the NAS retransmit (same socket) through a third server is answered from the owner duplicate cache', async () => {
    const fleet = forwardingFleet();
    const [, , c] = fleet.nodes as [Node, Node, Node];
    const { response } = await slowOwnerRound(fleet);
    const atC = await deliver(c, response, fleet);
    console.info(
      `slow owner, retransmit from the same port via c: ${atC.length} answer(s), code ${atC[0]?.[0]}`,
    );
    expect(atC).toHaveLength(1);
    expect(atC[0]?.[0]).toBe(11); // Access-Challenge
  });

  it('fixed (N3): a NAS that fails over from a new socket (R3 for forwarded conversations) gets the same Challenge again', async () => {
    const fleet = forwardingFleet();
    const [, , c] = fleet.nodes as [Node, Node, Node];
    const { response } = await slowOwnerRound(fleet);
    // The NAS retransmits the same Access-Request from its socket for its secondary server.
    const atC = await deliver(c, response, fleet, { ...NAS, port: NAS.port + 1 });
    const reasons = fleet.nodes.map((n) => JSON.stringify(n.server.stats().dropped));
    console.info(
      `N3: slow owner, retransmit from port+1 via c: ${atC.length} answer(s); drops ${reasons.join(' ')}`,
    );
    expect(atC).toHaveLength(1);
    expect(atC[0]?.[0]).toBe(11);
  });
});

describe('review16c N6: the first write of a conversation times out but was stored (a lost ack)', () => {
  it('fixed (was FAILS ON MAIN): the conversation that went on from local state is not killed by its own stored record', async () => {
    // Every round goes to a (the NAS never fails over); the client retransmits on its own timer.
    const fleet = makeFleet({ ids: ['a', 'b'], route: () => 0 });
    const [a] = fleet.nodes as [Node, Node];
    // The bucket stores the first record, but its acknowledgement never comes back
    // (NATS node killed after storing it, or the client's timeout fired first).
    const create = fleet.kv.create.bind(fleet.kv);
    let lostAcks = 1;
    fleet.kv.create = async (key, value) => {
      const stored = await create(key, value);
      if (lostAcks-- > 0) return { kind: 'failed', reason: 'TIMEOUT' };
      return stored;
    };
    const result = await fleet.authenticate([mschapv2]);
    const drops = JSON.stringify(a.server.stats().dropped);
    console.info(
      `N6: outcome ${String(result?.outcome)} (${String(result?.reason)}); a dropped ${drops}; requests sent ${fleet.sent.length}`,
    );
    expect(result?.outcome).toBe('success');
  });
});
