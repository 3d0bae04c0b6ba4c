// `netrx up`'s capture readers: their durables carry `capture.nats.host`, so
// two hosts serving one entry bind two durables (the second is refused,
// 10100) instead of splitting the events (review16 R2; review16c M25: no
// test named the durable, and dropping the host from it survived).
import { describe, expect, it } from 'vitest';
import type { NatsConnectionStatus } from '../cluster/connection-settings.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { defaultReaderId } from '../cluster/index.js';
import { startCaptureNats } from './capture-nats.js';
import { validateHostConfig } from './config.js';

/** A connection that never connects: the host booted during an outage, nothing reaches NATS. */
const neverConnected = {
  status: () => ({ state: 'reconnecting', everConnected: false }) as NatsConnectionStatus,
  onState: () => () => undefined,
  onError: () => () => undefined,
  close: () => Promise.resolve(),
};

/** `/health`'s capture.nats entry of a host serving two entries as `host` (undefined: the default). */
async function servedStatus(host: string | undefined): Promise<Record<string, unknown>> {
  const config = validateHostConfig({
    capture: {
      nats: {
        ...(host === undefined ? {} : { host }),
        serve: [{ name: 'fleet', stream: 'lab', hosts: 'lab-*' }, { name: 'edge' }],
      },
    },
    cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
  });
  const clock = new VirtualClock();
  const nats = await startCaptureNats(
    config.capture,
    neverConnected,
    new TraceRegistry({ clock }),
    clock,
  );
  try {
    return nats.status();
  } finally {
    await nats.close();
  }
}

async function servedDurables(host: string | undefined): Promise<unknown[]> {
  const serve = (await servedStatus(host))['serve'] as { durable: unknown }[];
  return serve.map((entry) => entry.durable);
}

describe('capture.nats readers under netrx up', () => {
  it("name their durables after the stream, the entry and capture.nats.host (/health's serve[].durable)", async () => {
    expect(await servedDurables('dash-a')).toEqual([
      'netrx-reader-lab-fleet-dash-a',
      'netrx-reader-edge-edge-dash-a',
    ]);
    // Another host serving the same entries binds other durables.
    expect(await servedDurables('dash-b')).toEqual([
      'netrx-reader-lab-fleet-dash-b',
      'netrx-reader-edge-edge-dash-b',
    ]);
  });
});

describe('capture.nats.host by default (issue 16: every default host was `netrx`)', () => {
  it("is this machine's derived identity, in the durables and /health", async () => {
    const id = defaultReaderId();
    expect(await servedDurables(undefined)).toEqual([
      `netrx-reader-lab-fleet-${id}`,
      `netrx-reader-edge-edge-${id}`,
    ]);
    expect(await servedStatus(undefined)).toMatchObject({ host: id, hostDerived: true });
  });

  it('an explicit host is kept as it is, `netrx` included', async () => {
    expect(await servedDurables('netrx')).toEqual([
      'netrx-reader-lab-fleet-netrx',
      'netrx-reader-edge-edge-netrx',
    ]);
    expect(await servedStatus('netrx')).toMatchObject({ host: 'netrx', hostDerived: false });
  });
});
