import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry, decodePayload } from '../../trace/index.js';
import { CLUSTER_PROVIDER, traceConsumerReplaced } from './events.js';
import {
  LOSS_DURABLE_IDLE_MS,
  captureConsumerConfig,
  consumerConfigDrift,
  ensureCaptureConsumer,
  type ConsumerAdmin,
} from './consumer-config.js';

/** A JetStream manager that keeps each durable's config as it was made (as the server does). */
function memoryAdmin() {
  const configs = new Map<string, Readonly<Record<string, unknown>>>();
  const calls: string[] = [];
  const admin: ConsumerAdmin = {
    config: (stream, durable) => Promise.resolve(configs.get(`${stream}/${durable}`)),
    add: (stream, config) => {
      calls.push(`add ${config.durable_name}`);
      const key = `${stream}/${config.durable_name}`;
      // JetStream refuses to change an existing durable's filter through add.
      if (configs.has(key)) return Promise.reject(new Error('consumer already exists'));
      configs.set(key, { ...config });
      return Promise.resolve();
    },
    delete: (stream, durable) => {
      calls.push(`delete ${durable}`);
      configs.delete(`${stream}/${durable}`);
      return Promise.resolve();
    },
  };
  return { admin, configs, calls };
}

describe('capture consumer config (review16c N4, N8)', () => {
  it('every loss durable expires when idle, after LOSS_DURABLE_IDLE_MS; an event durable after the claim expiry (N8)', () => {
    const loss = captureConsumerConfig('netrx-loss-lab', 'netrxloss.lab.*.*', 15_000);
    expect(loss.inactive_threshold).toBe(LOSS_DURABLE_IDLE_MS * 1_000_000);
    expect(LOSS_DURABLE_IDLE_MS).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    const events = captureConsumerConfig('netrx-lab', 'netrx.lab.lab-1.>', 15_000);
    expect(events.inactive_threshold).toBe(15_000 * 1_000_000);
  });

  it('a durable made for another filter is deleted and made again with the wanted one (N4)', async () => {
    const { admin, configs, calls } = memoryAdmin();
    const narrow = captureConsumerConfig('netrx-loss-n4', 'netrxloss.n4.lab-1.*', 15_000);
    expect(await ensureCaptureConsumer(admin, 'netrx-loss-n4', 'm-loss', narrow)).toEqual([]);
    const wide = captureConsumerConfig('netrx-loss-n4', 'netrxloss.n4.*.*', 15_000);
    expect(await ensureCaptureConsumer(admin, 'netrx-loss-n4', 'm-loss', wide)).toEqual([
      'filter_subject',
    ]);
    expect(configs.get('netrx-loss-n4/m-loss')?.['filter_subject']).toBe('netrxloss.n4.*.*');
    // The same config again: used as it is.
    expect(await ensureCaptureConsumer(admin, 'netrx-loss-n4', 'm-loss', wide)).toEqual([]);
    expect(calls).toEqual(['add m-loss', 'delete m-loss', 'add m-loss']);
  });

  it('tells a missing durable (made new), not one used as it is or replaced (issue 16)', async () => {
    const { admin, configs } = memoryAdmin();
    const wanted = captureConsumerConfig('netrx-g', 'netrx.g.lab-1.>', 15_000);
    const missing: string[] = [];
    const ensure = (config = wanted) =>
      ensureCaptureConsumer(admin, 'netrx-g', 'g-lab-1', config, () => missing.push('g-lab-1'));
    await ensure();
    await ensure();
    await ensure(captureConsumerConfig('netrx-g', 'netrx.g.lab-1.>', 30_000));
    expect(missing).toEqual(['g-lab-1']);
    configs.delete('netrx-g/g-lab-1'); // the server expired it, or someone deleted it
    await ensure();
    expect(missing).toEqual(['g-lab-1', 'g-lab-1']);
  });

  it('a durable left without inactive_threshold (made before N8) is made again with one', async () => {
    const { admin, configs } = memoryAdmin();
    const wanted = captureConsumerConfig('netrx-loss-lab', 'netrxloss.lab.*.*', 15_000);
    configs.set('netrx-loss-lab/old-loss', { ...wanted, inactive_threshold: 0 });
    expect(await ensureCaptureConsumer(admin, 'netrx-loss-lab', 'old-loss', wanted)).toEqual([
      'inactive_threshold',
    ]);
  });

  it('drift names exactly the fields that differ; a field the server left out counts as 0 or empty (fast-check)', () => {
    const wanted = captureConsumerConfig('netrx-lab', 'netrx.lab.lab-1.>', 15_000);
    const fields = Object.keys(wanted);
    fc.assert(
      fc.property(fc.subarray(fields), fc.subarray(fields), (changed, dropped) => {
        const existing: Record<string, unknown> = { ...wanted, name: 'x', num_replicas: 0 };
        for (const f of changed) existing[f] = `other-${f}`;
        for (const f of dropped) delete existing[f];
        const expected = fields.filter((f) => changed.includes(f) || dropped.includes(f));
        expect([...consumerConfigDrift(existing, wanted)].sort()).toEqual([...expected].sort());
      }),
    );
  });

  it('a durable made again is traced as ConsumerReplaced, naming it and the fields', () => {
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    const seen: Record<string, unknown>[] = [];
    registry.enable(CLUSTER_PROVIDER.name, (event) => {
      if (event.descriptor.name !== 'ConsumerReplaced') return;
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) seen.push({ ...decoded.values });
    });
    const trace = traceConsumerReplaced(registry);
    trace({ stream: 'netrx-loss-n4', durable: 'm-loss', changed: ['filter_subject'] });
    trace({
      stream: 'netrx-n4',
      durable: 'm-lab-1',
      changed: ['max_ack_pending', 'inactive_threshold'],
    });
    expect(seen).toEqual([
      { stream: 'netrx-loss-n4', durable: 'm-loss', changed: 'filter_subject', replaced: 1n },
      {
        stream: 'netrx-n4',
        durable: 'm-lab-1',
        changed: 'max_ack_pending,inactive_threshold',
        replaced: 2n,
      },
    ]);
  });
});
