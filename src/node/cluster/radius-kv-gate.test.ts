/**
 * The bucket while NATS is away (audit16 A1): with the connection not
 * `connected`, a new conversation is answered at once from memory (no
 * call reaches the bucket, no confirming read, the NAS never resends),
 * and once it is `connected` again conversations go to the bucket. The
 * bucket here models the client while it reconnects: a call is queued
 * and answers `failed` only at its timeout on the virtual clock (a create
 * two timeouts: its put, then `Kvm.create`'s own read), as measured
 * against nats-server 2.9.10.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConversationKv, KvWrite } from '../../radius/index.js';
import type { Clock } from '../../runtime/index.js';
import type {
  NatsConnectionState,
  NatsConnectionStatus,
  SharedNatsConnection,
} from './connection-settings.js';
import type { FakeConversationKv } from './fake-conversation-kv.js';
import { NATS_AWAY_REASON, gateWhileAway } from './radius-kv-gate.js';
import { makeFleet, mschapv2 } from './radius-fleet.js';

const CALL_TIMEOUT_MS = 1000;

/** A connection whose state the test sets. */
function fakeConnection(initial: NatsConnectionState) {
  const connection = {
    state: initial,
    status: (): NatsConnectionStatus => ({
      state: connection.state,
      server: '127.0.0.1:4222',
      serverVersion: '2.9.10',
      auth: 'none',
      tls: false,
      disconnects: 0,
      reconnects: 0,
      errors: 0,
      lastError: '',
      everConnected: true,
      sinceMs: 0,
    }),
  };
  return connection satisfies Pick<SharedNatsConnection, 'status'>;
}

/** `kv` as the NATS client gives it while its connection is away: every call fails at its timeout. */
function queuedUntilTimeout(
  kv: FakeConversationKv,
  clock: Clock,
  away: () => boolean,
): ConversationKv {
  const late = <T>(timeouts: number, call: () => Promise<T>, failed: T): Promise<T> =>
    away()
      ? new Promise((resolve) => clock.setTimer(timeouts * CALL_TIMEOUT_MS, () => resolve(failed)))
      : call();
  const timeout: KvWrite = { kind: 'failed', reason: 'timeout' };
  return {
    get: (key) => late(1, () => kv.get(key), timeout),
    create: (key, value) => late(2, () => kv.create(key, value), timeout),
    update: (key, value, revision) => late(1, () => kv.update(key, value, revision), timeout),
    delete: (key, revision) => late(1, () => kv.delete(key, revision), timeout),
    revisionAfter: (key, revision) => late(1, () => kv.revisionAfter(key, revision), timeout),
  };
}

/** One server over the slow bucket, gated or not, and its connection's state to set. */
function oneServer(gated: boolean) {
  const connection = fakeConnection('reconnecting');
  const away = () => connection.state !== 'connected';
  let inner: FakeConversationKv | undefined;
  const fleet = makeFleet({
    ids: ['a'],
    bucket: (kv, clock) => {
      inner = kv;
      const slow = queuedUntilTimeout(kv, clock, away);
      return gated ? gateWhileAway(connection, slow) : slow;
    },
  });
  return { fleet, connection, inner: inner as FakeConversationKv };
}

/** Access-Requests the NAS sent more than once (its retransmissions). */
function resent(sent: readonly Uint8Array[]): number {
  const seen = new Set(sent.map((datagram) => Array.from(datagram).join(',')));
  return sent.length - seen.size;
}

describe('the conversation bucket while NATS is away', () => {
  it('a new MSCHAPv2 conversation is answered at once from memory: no resend, no bucket call', async () => {
    const { fleet, inner } = oneServer(true);
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(resent(fleet.sent)).toBe(0);
    expect(inner.calls).toEqual({ get: 0, create: 0, update: 0, delete: 0, revisionAfter: 0 });
    const shared = fleet.nodes[0]?.shared?.stats();
    expect(shared?.writeFailed).toBeGreaterThan(0);
    expect(shared?.stored).toBe(0);
    expect(fleet.nodes[0]?.server.stats().dropped['duplicate-in-progress'] ?? 0).toBe(0);
  });

  it('control, ungated: the same conversation waits out each call and the NAS resends', async () => {
    const { fleet } = oneServer(false);
    await fleet.authenticate([mschapv2]);
    expect(resent(fleet.sent)).toBeGreaterThan(0);
  });

  it('once connected again, a new conversation is written to the bucket', async () => {
    const { fleet, connection, inner } = oneServer(true);
    await fleet.authenticate([mschapv2]);
    connection.state = 'connected';
    const result = await fleet.authenticate([mschapv2]);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(inner.calls.create).toBeGreaterThan(0);
    expect(fleet.nodes[0]?.shared?.stats().stored).toBeGreaterThan(0);
  });

  it('NATS goes away after a first round stored: the next round is dropped at once, the retry rejected (the cost in docs/cluster.md)', async () => {
    const connection = fakeConnection('connected');
    const fleet = makeFleet({
      ids: ['a'],
      bucket: (kv) => {
        const gated = gateWhileAway(connection, kv);
        return {
          ...gated,
          // The first round is stored; NATS goes away as its answer leaves.
          create: async (key, value) => {
            const outcome = await gated.create(key, value);
            connection.state = 'reconnecting';
            return outcome;
          },
        };
      },
    });
    const result = await fleet.authenticate([mschapv2]);
    // 'failure': the NAS got an Access-Reject (its retry names a State nobody holds now).
    expect(result?.outcome).toBe('failure');
    const a = fleet.nodes[0];
    expect(a?.shared?.stats()).toMatchObject({ stored: 1, restoredWriteFailed: 1 });
    expect(a?.server.stats().dropped['cluster-state-write-failed']).toBe(1);
    expect(a?.server.stats().dropped['duplicate-in-progress'] ?? 0).toBe(0);
  });

  it.each([
    [true, 0],
    [false, 1],
  ])('a failed write marked notSent=%s: %i confirming read per write', async (notSent, reads) => {
    let gets = 0;
    let writes = 0;
    const fleet = makeFleet({
      ids: ['a'],
      bucket: (kv) => ({
        get: (key) => (gets++, kv.get(key)),
        create: () => (writes++, Promise.resolve({ kind: 'failed', reason: 'away', notSent })),
        update: () => (writes++, Promise.resolve({ kind: 'failed', reason: 'away', notSent })),
        delete: (key, revision) => kv.delete(key, revision),
        revisionAfter: (key, revision) => kv.revisionAfter(key, revision),
      }),
    });
    expect(await fleet.authenticate([mschapv2])).toMatchObject({ outcome: 'success' });
    expect(writes).toBeGreaterThan(0);
    expect(gets).toBe(reads * writes);
  });

  it('property: a call reaches the bucket exactly when the connection is connected as it is made', async () => {
    const states: NatsConnectionState[] = ['connected', 'reconnecting', 'closed'];
    const call = fc.constantFrom('get', 'create', 'update', 'delete', 'revisionAfter');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...states), call), { maxLength: 30 }),
        async (steps) => {
          const reached: string[] = [];
          const connection = fakeConnection('connected');
          const stored: KvWrite = { kind: 'stored', revision: 1 };
          const bucket: ConversationKv = {
            get: () => (reached.push('get'), Promise.resolve({ kind: 'absent' })),
            create: () => (reached.push('create'), Promise.resolve(stored)),
            update: () => (reached.push('update'), Promise.resolve(stored)),
            delete: () => (reached.push('delete'), Promise.resolve(stored)),
            revisionAfter: () => (
              reached.push('revisionAfter'),
              Promise.resolve({ kind: 'absent' })
            ),
          };
          const gate = gateWhileAway(connection, bucket);
          const expected: string[] = [];
          for (const [state, name] of steps) {
            connection.state = state;
            const outcome = await (name === 'get'
              ? gate.get('aa')
              : name === 'create'
                ? gate.create('aa', new Uint8Array(1))
                : name === 'update'
                  ? gate.update('aa', new Uint8Array(1), 1)
                  : name === 'delete'
                    ? gate.delete('aa', 1)
                    : gate.revisionAfter('aa', 0));
            if (state === 'connected') expected.push(name);
            else {
              expect(outcome).toMatchObject({ kind: 'failed', reason: NATS_AWAY_REASON });
              const writes = name === 'create' || name === 'update' || name === 'delete';
              expect((outcome as { notSent?: boolean }).notSent === true).toBe(writes);
            }
          }
          expect(reached).toEqual(expected);
        },
      ),
    );
  });
});
