/**
 * review16e: publishers of one session that give a budget with different
 * cuts (stream-config.ts `reconcileCaptureStreams`, the path both
 * `capture publish --stream-bytes` and a `netrx up` host with
 * `capture.nats.streamBytes` take). An in-memory StreamAdmin stands in for
 * JetStream's stream API; the stream is empty, so nothing is held.
 *
 * - holds (verify16c V3): a publisher that gives only a cut (no budget)
 *   leaves an existing stream's limit as it is.
 * - R16E-L2 (the docs corrected since: give `streamMessages` when cuts
 *   differ): docs/cluster.md, "Publishers of one session with different
 *   cuts", said to "size the stream for the largest one with
 *   `streamBytes`". With the same `streamBytes` on every host, each host
 *   derives the limit from its own cut, so the limit follows whichever host
 *   started last: a 32 KiB host sets 128 (4 MiB), an 8 KiB host started next
 *   sets 512, and the 32 KiB host's subject may then hold 512 x 32 KiB =
 *   16 MiB of a 4 MiB budget.
 */
import { describe, expect, it } from 'vitest';
import {
  reconcileCaptureStreams,
  resolveStreamLimits,
  type ManagedStreamConfig,
  type StreamAdmin,
} from '../../src/node/cluster/stream-config.js';
import { streamName } from '../../src/node/cluster/subjects.js';

function memoryAdmin(): StreamAdmin & { configs: Map<string, ManagedStreamConfig> } {
  const configs = new Map<string, ManagedStreamConfig>();
  return {
    configs,
    info: (stream) => {
      const config = configs.get(stream);
      return Promise.resolve(
        config === undefined
          ? undefined
          : { config, usage: { messages: 0, bytes: 0, largestSubject: 0 } },
      );
    },
    add: (stream, config) => {
      configs.set(stream, config);
      return Promise.resolve();
    },
    update: (stream, config) => {
      configs.set(stream, config);
      return Promise.resolve();
    },
  };
}

const BUDGET = 4 * 1024 * 1024;

async function start(
  admin: StreamAdmin,
  limits: { maxBytes?: number; maxMsgs?: number; batchBytes?: number; defaultBudget?: boolean },
) {
  await reconcileCaptureStreams(admin, 'lab', resolveStreamLimits(limits));
}

function limitOf(admin: { configs: Map<string, ManagedStreamConfig> }): number | undefined {
  return admin.configs.get(streamName('lab'))?.max_msgs_per_subject;
}

describe('review16e: publishers of one session with different cuts', () => {
  it('holds (verify16c V3): a cut alone, no budget, leaves an existing stream as it is', async () => {
    const admin = memoryAdmin();
    await start(admin, { maxBytes: BUDGET, batchBytes: 8192 });
    expect(limitOf(admin)).toBe(512);
    // A netrx up host with default stream settings and a 32 KiB cut.
    await start(admin, { maxBytes: 1024 * 1024, batchBytes: 32_768, defaultBudget: true });
    expect(limitOf(admin)).toBe(512);
    // capture publish --batch-bytes 65536 without --stream-bytes.
    await start(admin, { batchBytes: 65_536 });
    expect(limitOf(admin)).toBe(512);
  });

  // R16E-L2: what docs/cluster.md now says happens with streamBytes (the limit follows the
  // host started last), and what it says to do instead (streamMessages on every host).
  it('R16E-L2: with streamBytes the limit follows the last host; with streamMessages it holds', async () => {
    const admin = memoryAdmin();
    await start(admin, { maxBytes: BUDGET, batchBytes: 32_768 });
    expect(limitOf(admin)).toBe(128);
    await start(admin, { maxBytes: BUDGET, batchBytes: 8192 });
    expect(limitOf(admin)).toBe(512);
    const fixed = memoryAdmin();
    await start(fixed, { maxBytes: BUDGET, maxMsgs: 128, batchBytes: 32_768 });
    expect(limitOf(fixed)).toBe(128);
    await start(fixed, { maxBytes: BUDGET, maxMsgs: 128, batchBytes: 8192 });
    expect(limitOf(fixed)).toBe(128);
  });
});
