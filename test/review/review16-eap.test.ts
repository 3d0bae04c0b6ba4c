/**
 * Second outside review of issue 16 (review16): EAP state in KV after the
 * F6-F9 fixes, on the fake KV and virtual clock of
 * src/node/cluster/radius-fleet.ts. `it` documents what holds now; the ones
 * named FAILS ON MAIN are `it.fails` (seen failing on main 04d7957 with
 * `.fails` removed); drop `.fails` once fixed and they are regression tests.
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

/** Delivers what the client sends next to `nodes` in turn until it has a result. */
async function finish(fleet: Fleet, c: ReturnType<typeof heldClient>, nodes: readonly Node[]) {
  for (let i = 0; i < 8 && c.box.result === undefined && c.held.length > 0; i++) {
    const out = await deliver(nodes[i % nodes.length] as Node, c.held.shift() as Uint8Array, fleet);
    for (const answer of out) c.client.receive(answer, SERVER);
  }
  return c.box.result?.outcome;
}

describe('review16: first-review F7 (a restored conversation whose write fails) is fixed', () => {
  it("the failed write answers nothing; the NAS's retry at a third server is answered from the bucket and succeeds", async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const [a, b, c] = fleet.nodes as [Node, Node, Node];
    const held = heldClient(fleet);
    held.client.start();
    const first = await deliver(a, held.held.shift() as Uint8Array, fleet);
    held.client.receive(first[0] as Uint8Array, SERVER);
    const response = held.held.shift() as Uint8Array;
    const update = fleet.kv.update.bind(fleet.kv);
    fleet.kv.update = () => Promise.resolve({ kind: 'failed', reason: 'disconnected' });
    expect(await deliver(b, response, fleet)).toHaveLength(0);
    fleet.kv.update = update;
    expect(dropped(fleet.nodes, 'cluster-state-write-failed')).toBe(1);
    // The NAS retransmits the same Access-Request, now to c.
    const retry = await deliver(c, response, fleet);
    expect(retry).toHaveLength(1);
    held.client.receive(retry[0] as Uint8Array, SERVER);
    expect(await finish(fleet, held, [a, b, c])).toBe('success');
    expect(dropped(fleet.nodes, 'cluster-state-stale-round')).toBe(0);
  });
});

describe('review16 R3: the retransmit cache (F6 fix) keys on the NAS source port', () => {
  it('fixed (was FAILS ON MAIN): a NAS that fails over from a new socket (same datagram, new source port) is answered', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'] });
    const [a, b] = fleet.nodes as [Node, Node];
    const held = heldClient(fleet);
    held.client.start();
    const first = await deliver(a, held.held.shift() as Uint8Array, fleet);
    held.client.receive(first[0] as Uint8Array, SERVER);
    const response = held.held.shift() as Uint8Array;
    // a writes the round and dies before its Access-Challenge leaves.
    expect(await deliver(a, response, fleet)).toHaveLength(1);
    a.cluster.close();
    fleet.live.delete(a);
    // The same Access-Request (Identifier, Request Authenticator, Message-Authenticator)
    // to b, from the NAS's socket for its secondary server.
    const answered = await deliver(b, response, fleet, { ...NAS, port: NAS.port + 1 });
    console.info(
      `R3: retransmit from a new source port: ${answered.length} answers, stale-round drops ${dropped(fleet.nodes, 'cluster-state-stale-round')}`,
    );
    expect(answered).toHaveLength(1);
  });
});

/**
 * R4's set-up: a answered round 1, b round 2, the round-1 record put back, round 2 replayed
 * to c. `history` is the bucket's: 1 leaves no witness of the put-back (as a bucket whose
 * key history was purged), so c answers the replay and the servers' memory is the only check.
 */
async function putBackAndReplay(history = 1) {
  const fleet = makeFleet({ ids: ['a', 'b', 'c'], history });
  const [a, b, c] = fleet.nodes as [Node, Node, Node];
  const held = heldClient(fleet);
  const keys: string[] = [];
  const create = fleet.kv.create.bind(fleet.kv);
  fleet.kv.create = (key, value) => {
    keys.push(key);
    return create(key, value);
  };
  held.client.start();
  const first = await deliver(a, held.held.shift() as Uint8Array, fleet);
  held.client.receive(first[0] as Uint8Array, SERVER);
  const response = held.held.shift() as Uint8Array;
  const stateHex = keys[0] as string;
  const older = fleet.kv.raw(stateHex) as Uint8Array;
  const atB = await deliver(b, response, fleet);
  expect(atB).toHaveLength(1);
  // A bucket writer (no key) puts the older record back; the datagram of that round is replayed to c.
  fleet.kv.forcePut(stateHex, older);
  const atC = await deliver(c, response, fleet);
  // The real peer goes on with b's answer.
  held.client.receive(atB[0] as Uint8Array, SERVER);
  const before = fleet.answers.length;
  const codesSince = () => fleet.answers.slice(before).map((answer) => answer[0]);
  return { fleet, held, a, b, c, atC, codesSince };
}

const ACCESS_REJECT = 3;

describe('review16 R4 without a witness in the history: a fork is refused where it is visible', () => {
  it("a, which saw round 1, refuses c's round 2 (its basedOn is not the revision a saw): no Reject", async () => {
    const { fleet, held, a, b, c, atC, codesSince } = await putBackAndReplay();
    expect(atC).toHaveLength(1);
    const outcome = await finish(fleet, held, [a, b, c]);
    console.info(
      `R4 at a: outcome ${String(outcome)}; answers ${JSON.stringify(codesSince())}; a refused ${a.shared?.stats().refused ?? 0}`,
    );
    expect(codesSince()).not.toContain(ACCESS_REJECT);
    expect(outcome).toBeUndefined();
    expect(a.shared?.stats().refused).toBe(1);
    expect(dropped(fleet.nodes, 'cluster-state-rewound')).toBe(1);
  });

  it('b, which the peer answered, refuses it too (a newer revision without a newer round)', async () => {
    const { fleet, held, a, b, c, atC, codesSince } = await putBackAndReplay();
    expect(atC).toHaveLength(1);
    const outcome = await finish(fleet, held, [b, a, c]);
    expect(codesSince()).not.toContain(ACCESS_REJECT);
    expect(outcome).toBeUndefined();
    expect(dropped(fleet.nodes, 'cluster-state-rewound')).toBe(1);
  });
});

describe('review16 R4 fixed: the bucket keeps history 2, so the entry a put-back replaced is its witness', () => {
  it('fixed (was STILL FAILS): c, which saw no earlier round, refuses the put-back record, so no fork answers the peer with a Reject', async () => {
    const { fleet, held, a, b, c, atC, codesSince } = await putBackAndReplay(2);
    expect(atC).toHaveLength(0);
    expect(c.shared?.stats().refused).toBe(1);
    await finish(fleet, held, [c, a, b]);
    console.info(
      `R4 (history 2) at c: answers ${JSON.stringify(codesSince())}; rewound drops ${dropped(fleet.nodes, 'cluster-state-rewound')}`,
    );
    expect(codesSince()).not.toContain(ACCESS_REJECT);
  });
});

describe('review16 R4: first-review F8 (a record put back) at a server that saw no later round', () => {
  // The reviewer's bar: c itself refuses, or the login completes. Not met: c saw no
  // earlier round and the put-back is a valid sealed record (docs/cluster.md).
  it('fixed (was STILL FAILS): the rewound record is refused at c, or at least the conversation still completes', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'] });
    const [a, b, c] = fleet.nodes as [Node, Node, Node];
    const held = heldClient(fleet);
    const keys: string[] = [];
    const create = fleet.kv.create.bind(fleet.kv);
    fleet.kv.create = (key, value) => {
      keys.push(key);
      return create(key, value);
    };
    held.client.start();
    const first = await deliver(a, held.held.shift() as Uint8Array, fleet);
    held.client.receive(first[0] as Uint8Array, SERVER);
    const response = held.held.shift() as Uint8Array;
    const stateHex = keys[0] as string;
    const older = fleet.kv.raw(stateHex) as Uint8Array;
    const atB = await deliver(b, response, fleet);
    expect(atB).toHaveLength(1);
    // A bucket writer (no key) puts the older record back; the datagram of that round is replayed to c.
    fleet.kv.forcePut(stateHex, older);
    const atC = await deliver(c, response, fleet);
    const refused = c.shared?.stats().refused ?? 0;
    // The real peer goes on with b's answer; its next rounds go round robin.
    held.client.receive(atB[0] as Uint8Array, SERVER);
    const outcome = await finish(fleet, held, [a, b, c]);
    console.info(
      `R4: c answered the replay: ${atC.length}, c refused ${refused}; outcome ${String(outcome)}; stale drops ${dropped(fleet.nodes, 'cluster-state-stale-round')}`,
    );
    expect(atC.length === 0 || outcome === 'success').toBe(true);
  });
});
