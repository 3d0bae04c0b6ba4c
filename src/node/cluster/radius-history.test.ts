/**
 * The history check of a restore (review16 R4, conversation-kv.ts), on the
 * fake bucket and SharedConversations alone: the honest record passes with
 * one extra request, a put-back is refused, and the races between the read
 * and the check (the record replaced twice, deleted, the bucket away) are
 * not taken for put-backs.
 */
import { describe, expect, it } from 'vitest';
import { SharedConversations, conversationKey, type ConversationKv } from '../../radius/index.js';
import { VirtualClock } from '../../testing/index.js';
import { aes256GcmAead } from '../runtime/aead.js';
import { nodeCrypto } from '../runtime/index.js';
import { FakeConversationKv } from './fake-conversation-kv.js';
import { KEY } from './radius-fleet.js';

const STATE = Uint8Array.of(0x63, 1, 0x61, 9, 8, 7, 6, 5, 4, 3, 2, 1);
const KEY_NAME = conversationKey(STATE);

function record(basedOn: number) {
  return {
    client: 'nas',
    address: '127.0.0.1',
    identity: undefined,
    authenticator: Uint8Array.of(1, 2, 3),
    basedOn,
  };
}

function setup(history = 2) {
  const clock = new VirtualClock();
  const kv = new FakeConversationKv(clock, 30_000, history);
  const make = (bucket: ConversationKv = kv) =>
    new SharedConversations({ kv: bucket, aead: aes256GcmAead(KEY), crypto: nodeCrypto });
  return { kv, writer: make(), make };
}

/** Writes rounds 1..n as honest compare-and-sets; the revisions. */
async function rounds(writer: SharedConversations, n: number, from = 0): Promise<number[]> {
  const revisions: number[] = [];
  let revision = from === 0 ? undefined : from;
  for (let round = 1; round <= n; round++) {
    const outcome = await writer.save(
      STATE,
      record(revision ?? 0),
      { round, awaitedIdentifier: round },
      revision,
    );
    if (outcome.kind !== 'stored') throw new Error(`round ${round}: ${outcome.kind}`);
    revision = outcome.revision;
    revisions.push(revision);
  }
  return revisions;
}

describe('the history check of a restore', () => {
  it('an honest newest record is found by a server that saw nothing, with one extra request', async () => {
    const { kv, writer, make } = setup();
    const revisions = await rounds(writer, 3);
    const reader = make();
    const loaded = await reader.load(STATE);
    expect(loaded).toMatchObject({ kind: 'found', revision: revisions[2] });
    expect(kv.calls.revisionAfter).toBe(1);
    // Read again at the revision it saw: nothing new to check.
    await reader.load(STATE);
    expect(kv.calls.revisionAfter).toBe(1);
  });

  it('an older record put back is refused (rewound) by a server that saw nothing', async () => {
    const { kv, writer, make } = setup();
    await rounds(writer, 1);
    const older = kv.raw(KEY_NAME) as Uint8Array;
    // Round 2, written by another server over round 1.
    const other = make();
    const loaded = await other.load(STATE);
    if (loaded.kind !== 'found') throw new Error(loaded.kind);
    const second = await other.save(
      STATE,
      record(loaded.revision),
      { round: 2, awaitedIdentifier: 2 },
      loaded.revision,
    );
    expect(second.kind).toBe('stored');
    kv.forcePut(KEY_NAME, older);
    expect(await make().load(STATE)).toEqual({ kind: 'refused', reason: 'rewound' });
  });

  it('with history 1 the same put-back opens at a server that saw nothing (why the bucket keeps 2)', async () => {
    const { kv, writer, make } = setup(1);
    await rounds(writer, 1);
    const older = kv.raw(KEY_NAME) as Uint8Array;
    const first = await make().load(STATE);
    if (first.kind !== 'found') throw new Error(first.kind);
    await writer.save(
      STATE,
      record(first.revision),
      { round: 2, awaitedIdentifier: 2 },
      first.revision,
    );
    kv.forcePut(KEY_NAME, older);
    expect((await make().load(STATE)).kind).toBe('found');
  });

  it('a record replaced twice between its read and the check is read again at the newest, not refused', async () => {
    const { kv, writer, make } = setup();
    const [first] = await rounds(writer, 1);
    const racing: ConversationKv = {
      get: (key) => kv.get(key),
      create: (key, value) => kv.create(key, value),
      update: (key, value, revision) => kv.update(key, value, revision),
      delete: (key, revision) => kv.delete(key, revision),
      revisionAfter: async (key, revision) => {
        if (kv.calls.revisionAfter === 0) {
          // Two rounds land after the read: the record read leaves the history.
          const a = await writer.save(
            STATE,
            record(first as number),
            { round: 2, awaitedIdentifier: 2 },
            first,
          );
          if (a.kind !== 'stored') throw new Error(a.kind);
          await writer.save(
            STATE,
            record(a.revision),
            { round: 3, awaitedIdentifier: 3 },
            a.revision,
          );
        }
        return kv.revisionAfter(key, revision);
      },
    };
    const reader = make(racing);
    const loaded = await reader.load(STATE);
    expect(loaded).toMatchObject({ kind: 'found', version: { round: 3 } });
    expect(reader.stats()).toMatchObject({ refused: 0, readFailed: 0, loaded: 1 });
    expect(kv.calls.get).toBe(2);
  });

  it('a record deleted between its read and the check is absent; the bucket away at the check is a failed read', async () => {
    const { kv, writer, make } = setup();
    const [only] = await rounds(writer, 1);
    const deleting: ConversationKv = {
      get: (key) => kv.get(key),
      create: (key, value) => kv.create(key, value),
      update: (key, value, revision) => kv.update(key, value, revision),
      delete: (key, revision) => kv.delete(key, revision),
      revisionAfter: async (key, revision) => {
        // The finished conversation's record goes, and its entries age out of the history.
        await kv.delete(key, only as number);
        kv.purgeKey(key);
        return kv.revisionAfter(key, revision);
      },
    };
    expect(await make(deleting).load(STATE)).toEqual({ kind: 'absent' });
    const { kv: kv2, writer: writer2, make: make2 } = setup();
    await rounds(writer2, 1);
    const away: ConversationKv = {
      get: (key) => kv2.get(key),
      create: (key, value) => kv2.create(key, value),
      update: (key, value, revision) => kv2.update(key, value, revision),
      delete: (key, revision) => kv2.delete(key, revision),
      revisionAfter: () => Promise.resolve({ kind: 'failed', reason: 'disconnected' }),
    };
    const reader = make2(away);
    expect(await reader.load(STATE)).toEqual({ kind: 'failed', reason: 'disconnected' });
    expect(reader.stats()).toMatchObject({ readFailed: 1, refused: 0, loaded: 0 });
  });
});
