/**
 * review16d D2 (final outside review of issue #16): the upgrade path of
 * verify16c V1/V2 takes *any* consumer of the loss stream without
 * `inactive_threshold` as a legacy netrx loss durable
 * (`isLegacyLossDurable` looks at the threshold only, not at the name or
 * who made it), and takes its ack floor as "delivered to a client". An
 * operator's own pull durable on `netrx-loss-<session>` (the `nats consumer
 * add` default has no threshold), made to alert on loss and acking what it
 * reads, then floors every report it acked: a reader that binds a new loss
 * durable afterwards (a new server, a drifted durable replaced, N4) counts
 * none of that loss. It is not only "the first start after an upgrade"
 * (docs/cluster.md): it runs on every bind for as long as such a consumer
 * exists. The fake models `ack_floor` and threshold-less durables as
 * nats-server 2.9.10 does (fake-jetstream.ts `legacyLossDurable`).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/testing/index.js';
import { FakeJetStream } from '../../src/node/cluster/fake-jetstream.js';
import { makeHost, makeReader, readBuffer, settle } from '../../src/node/cluster/test-kit.js';

const TIMER_MS = 100;

async function readAll(
  clock: VirtualClock,
  stream: FakeJetStream,
  reader: ReturnType<typeof makeReader>,
) {
  const handle = reader.table.openSession('lab');
  let delivered = 0;
  let lost = 0;
  let posted: ReturnType<(typeof reader.table)['receiveData']> | undefined;
  for (let round = 0; round < 20; round++) {
    await settle();
    stream.deliver();
    await settle();
    posted ??= reader.table.receiveData(handle);
    if (posted.result === undefined) clock.advance(TIMER_MS);
    await settle();
    const done = posted.result;
    if (done === undefined) continue;
    posted = undefined;
    if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
    const got = readBuffer(done.data);
    delivered += got.events.length;
    lost += got.lost;
  }
  return { delivered, lost };
}

async function scenario(operatorConsumer: boolean) {
  const clock = new VirtualClock();
  const stream = new FakeJetStream({ maxMsgs: 1000, maxMsgsPerSubject: 2 });
  const lab = makeHost(clock, stream, 'lab-1');
  await settle();
  for (let seq = 0; seq < 5; seq++) await lab.emitAlone(seq); // budget 2: 3 refused
  clock.advance(1000);
  await settle();
  const refused = lab.publisher.stats().refused;
  // An operator's loss alerting: a pull durable with the CLI's defaults, every report acked.
  if (operatorConsumer) stream.legacyLossDurable('ops-loss-alerts', 'netrxloss.lab.>', () => true);
  const reader = makeReader(clock, stream, 'lab-*');
  const got = await readAll(clock, stream, reader);
  return { refused, ...got, adopted: reader.source.handOverStats().floorsAdopted };
}

describe('review16d D2: an operator consumer on the loss stream is taken as a legacy reader', () => {
  it('control: without it a fresh reader gets delivered + lost = generated', async () => {
    const got = await scenario(false);
    expect(got.refused).toBe(3);
    expect({ delivered: got.delivered, lost: got.lost }).toEqual({ delivered: 2, lost: 3 });
  });

  it("an operator's alerting durable leaves the 3 refused events counted (fixed: netrx-shaped durables only)", async () => {
    const got = await scenario(true);
    expect(got.refused).toBe(3);
    expect({ delivered: got.delivered, lost: got.lost }).toEqual({ delivered: 2, lost: 3 });
  });
});
