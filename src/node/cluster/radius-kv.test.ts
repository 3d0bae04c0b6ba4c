/**
 * The bucket's history on open (review16 R4, radius-kv.ts): a bucket made
 * with history 1 is raised to 2, one already at 2 or more is left alone,
 * and one that cannot be raised is ERR_RADIUS_STATE_BUCKET naming the
 * stream and the fix. The manager is a stand-in; the real server's side is
 * test/interop/radius-kv-history.test.ts.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { NetrxError } from '../../runtime/index.js';
import { raiseHistory } from './radius-kv.js';

function manager(history: number, update: (config: { max_msgs_per_subject: number }) => void) {
  const config = { name: 'KV_netrx-eap-lab', max_msgs_per_subject: history, max_age: 1 };
  const updates: unknown[] = [];
  const jsm = {
    streams: {
      info: () => Promise.resolve({ config }),
      update: (name: string, next: { max_msgs_per_subject: number }) => {
        updates.push({ name, ...next });
        update(next);
        return Promise.resolve({ config: next });
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, updates };
}

describe('raiseHistory', () => {
  it('raises a history-1 bucket to 2, keeping the rest of its configuration', async () => {
    const { jsm, updates } = manager(1, () => {});
    await raiseHistory(jsm, 'KV_netrx-eap-lab');
    expect(updates).toEqual([{ name: 'KV_netrx-eap-lab', max_age: 1, max_msgs_per_subject: 2 }]);
  });

  it.each([2, 5])('leaves a bucket with history %i alone', async (history) => {
    const { jsm, updates } = manager(history, () => {});
    await raiseHistory(jsm, 'KV_netrx-eap-lab');
    expect(updates).toEqual([]);
  });

  it('a bucket that cannot be raised is ERR_RADIUS_STATE_BUCKET, with the stream and the fix', async () => {
    const { jsm } = manager(1, () => {
      throw new Error('permissions violation');
    });
    const error = await raiseHistory(jsm, 'KV_netrx-eap-lab').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetrxError);
    expect(error).toMatchObject({ code: 'ERR_RADIUS_STATE_BUCKET' });
    expect((error as Error).message).toContain('KV_netrx-eap-lab keeps history 1');
    expect((error as Error).message).toContain('permissions violation');
    expect((error as Error).message).toContain('--max-msgs-per-subject=2');
  });
});
