/**
 * A write to the bucket that was stored though its acknowledgement was
 * lost, and the drops that expect the NAS to retry (review16c N6): the
 * lost ack must not end the conversation, is not counted as two servers
 * answering one round, and a dropped round never leaves its duplicate
 * cache entry in progress (which dropped every retransmit for the whole
 * duplicate window as `duplicate-in-progress`).
 */
import { describe, expect, it } from 'vitest';
import { RadiusEapClient, type KvRead, type RadiusEapResult } from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import {
  NAS,
  SERVER,
  dropped,
  flush,
  makeFleet,
  mschapv2,
  sum,
  type Node,
} from './radius-fleet.js';

type Fleet = ReturnType<typeof makeFleet>;

/** The first `count` creates are stored but answer `failed` (the ack lost); `failReads` reads after each fail too. */
function loseCreateAcks(fleet: Fleet, count: number, failReads: number) {
  const create = fleet.kv.create.bind(fleet.kv);
  const get = fleet.kv.get.bind(fleet.kv);
  let acksToLose = count;
  let readsToFail = 0;
  fleet.kv.create = async (key, value) => {
    const stored = await create(key, value);
    if (acksToLose <= 0) return stored;
    acksToLose--;
    readsToFail = failReads;
    return { kind: 'failed', reason: 'TIMEOUT' };
  };
  fleet.kv.get = async (key): Promise<KvRead> => {
    if (readsToFail > 0) {
      readsToFail--;
      return { kind: 'failed', reason: 'TIMEOUT' };
    }
    return get(key);
  };
}

const shared = (node: Node) => node.shared?.stats();

describe('a lost acknowledgement on a conversation first write (review16c N6)', () => {
  it('the read after the failed create finds the record: taken as stored, nothing dropped', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'], route: () => 0 });
    loseCreateAcks(fleet, 1, 0);
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('success');
    const [a] = fleet.nodes as [Node, Node];
    expect(a.server.stats().dropped).toEqual({});
    expect(shared(a)).toMatchObject({
      unacknowledgedStored: 1,
      writeFailed: 0,
      conflicts: 0,
      unacknowledgedConflicts: 0,
    });
  });

  it('the confirming read fails too: the next round finds its own record, is counted as such, and the retry succeeds', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'], route: () => 0 });
    loseCreateAcks(fleet, 1, 1);
    const result = await fleet.authenticate([mschapv2]);
    const [a] = fleet.nodes as [Node, Node];
    expect(result?.outcome).toBe('success');
    expect(a.server.stats().dropped).toEqual({ 'cluster-state-unacknowledged': 1 });
    expect(shared(a)).toMatchObject({
      writeFailed: 1,
      conflicts: 0,
      unacknowledgedConflicts: 1,
    });
  });
});

describe('a round dropped for a compare-and-set conflict leaves nothing in progress', () => {
  it('two servers get every round; the loser answers the NAS retransmit of it', async () => {
    const fleet = makeFleet({ ids: ['a', 'b'] });
    const [a, b] = fleet.nodes as [Node, Node];
    const held: Uint8Array[] = [];
    const box: { result?: RadiusEapResult } = {};
    const client = new RadiusEapClient({
      clock: fleet.clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [mschapv2],
      identity: 'bob',
      password: 'hello',
      timeoutMs: 60_000,
      send: (datagram) => held.push(datagram.slice()),
      onResult: (r) => (box.result = r),
    });
    // b reads the bucket before a (which holds the conversation cached) writes: b's write conflicts.
    const both = async (datagram: Uint8Array, order: readonly Node[]) => {
      const before = fleet.answers.length;
      for (const node of order) {
        node.cluster.receive(datagram, NAS, 'auth', (answer) => fleet.answers.push(answer));
      }
      await flush();
      return fleet.answers.slice(before);
    };
    client.start();
    let retransmitAnswers = 0;
    let rounds = 0;
    for (let round = 0; box.result === undefined && round < 6; round++) {
      rounds++;
      const request = held.at(-1) as Uint8Array;
      const order = round === 0 ? [a, b] : [b, a];
      const answers = await both(request, order);
      expect(answers.length).toBeGreaterThan(0);
      // The NAS did not hear (the answer lost): the same datagram again, to both.
      const again = await both(request, order);
      if (round > 0) retransmitAnswers += again.length;
      client.receive(answers[0] as Uint8Array, SERVER);
    }
    expect(box.result?.outcome).toBe('success');
    expect(dropped(fleet.nodes, 'duplicate-in-progress')).toBe(0);
    // Every later round: one server won (its duplicate cache answers), the other lost and
    // answers the retransmit from the winner's record; a drop left in progress answered nothing.
    expect(dropped(fleet.nodes, 'cluster-state-conflict')).toBeGreaterThan(0);
    // MD5 proposed and Nak'ed, then MSCHAPv2's two rounds: three later rounds, each answered twice.
    expect(rounds).toBe(4);
    expect(retransmitAnswers).toBe(2 * (rounds - 1));
    expect(
      sum(fleet.nodes, (n) => shared(n)?.retransmits ?? 0) +
        sum(fleet.nodes, (n) => shared(n)?.finishedAnswered ?? 0),
    ).toBeGreaterThan(0);
  });
});
