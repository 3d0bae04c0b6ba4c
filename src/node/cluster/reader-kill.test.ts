/**
 * A reader process killed right after its client closed a session while a
 * message waited in the pull window (review16c N7's interleaving, then a
 * kill). The close must leave nothing that only the dead process knew: a
 * message none of whose events was delivered goes back to the stream
 * (`nak`), so the next process on the same durables delivers it whole. Had
 * the close acked it and counted its events lost instead (the other way to
 * end N7's phantom loss), that loss would wait for the dead session's next
 * open, which never comes, and both events would vanish uncounted.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable, type EventBufferMeta, type SessionHandle } from '../../capture/index.js';
import type { PendingReceive } from '../../receive/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { ConsumePort, ConsumeSpec, ConsumerError, StreamMessage } from './ports.js';
import type { PullGate } from './pull-window.js';
import { StreamSessionSource } from './reader.js';
import { makeHost, readBuffer, settle } from './test-kit.js';

/**
 * The stream as one reader process sees it. `kill` is its connection
 * closing with the process: the server unbinds its consumers (their unacked
 * messages become deliverable again, as once `ack_wait` passes), and no
 * ack, nak or message crosses that connection afterwards.
 */
class ProcessLink implements ConsumePort {
  private dead = false;
  private readonly bound: { stop(): void }[] = [];

  constructor(private readonly stream: FakeJetStream) {}

  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
    gate?: PullGate,
  ): { stop(): void } {
    if (this.dead) return { stop: () => undefined };
    const alive = (message: StreamMessage): StreamMessage => ({
      ...message,
      ack: () => {
        if (!this.dead) message.ack();
      },
      nak: () => {
        if (!this.dead) message.nak();
      },
    });
    const consumer = this.stream.consume(
      spec,
      (message) => {
        if (!this.dead) onMessage(alive(message));
      },
      onError,
      gate,
    );
    this.bound.push(consumer);
    return {
      stop: () => {
        if (!this.dead) consumer.stop();
      },
    };
  }

  streamHosts(stream: string, session: string): Promise<readonly string[]> {
    return this.stream.streamHosts(stream, session);
  }

  kill(): void {
    for (const consumer of this.bound) consumer.stop();
    this.dead = true;
  }
}

/** One reader process serving `prod-*` on the durables of `entry0`, and its client. */
function readerProcess(clock: VirtualClock, stream: FakeJetStream) {
  const link = new ProcessLink(stream);
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const source = new StreamSessionSource({
    port: link,
    session: 'lab',
    hosts: 'prod-*',
    durable: 'netrx-reader-lab-entry0',
    clock,
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: 100, bufferBytes: 128, maxBuffers: 1, eventsPerBuffer: 0 },
  });
  session.start();
  let handle: SessionHandle | undefined = table.openSession('lab');
  let pending: PendingReceive<EventBufferMeta> | undefined;
  const client = { delivered: [] as string[], lost: 0 };
  const collect = () => {
    const done = pending?.result;
    if (done === undefined) return;
    pending = undefined;
    if (done.status !== 'data') throw new Error(`receive failed: ${done.status}`);
    const got = readBuffer(done.data);
    for (const e of got.events) client.delivered.push(`${e.host}/${e.seq}`);
    client.lost += got.lost;
  };
  return {
    link,
    source,
    session,
    client,
    poll() {
      if (handle === undefined) return;
      collect();
      pending ??= table.receiveData(handle);
      collect();
    },
    /** The client takes a receive that completed, and posts none. */
    take() {
      collect();
    },
    /** The client goes and comes back (the review's reopen). */
    reopen() {
      collect();
      if (handle !== undefined) table.closeSession(handle);
      collect();
      pending = undefined;
      handle = table.openSession('lab');
    },
  };
}

describe('a reader process killed after a reopen that gave a waiting message back', () => {
  it('the next process delivers the message whole: delivered + lost == generated', async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const prod = makeHost(clock, stream, 'prod-2', {
      maxBuffered: 2,
      maxInFlight: 1,
      maxBatchBytes: 1024,
      maxBatchEvents: 2,
    });
    const first = readerProcess(clock, stream);
    first.poll();
    // prod-2 writes two events in one turn: one message.
    prod.emit(0);
    prod.emit(1);
    await settle();
    // The glob reader claims prod-2 (discovery; a host appears in the stream).
    await first.source.discover();
    await settle();
    // Delivered to the reader: one event fits its one-buffer queue, the other waits.
    stream.deliver(1);
    await settle();
    first.poll();
    expect(first.client.delivered).toEqual([]);
    first.reopen();
    await settle();
    // The process dies before its client reads anything more.
    first.link.kill();
    const second = readerProcess(clock, stream);
    for (let round = 0; round < 100; round++) {
      await settle();
      stream.deliver();
      second.poll();
      const s = second.session.stats();
      if (second.client.delivered.length === 2 && s.queuedEvents === 0) break;
      clock.advance(250);
      second.poll();
    }
    const delivered = [...first.client.delivered, ...second.client.delivered];
    const lost = first.client.lost + second.client.lost;
    expect(delivered).toEqual(['prod-2/0', 'prod-2/1']);
    expect(lost).toBe(0);
    expect(stream.length).toBe(0);
  });

  it("a message partly delivered: its rest is in the close's last buffer, nothing comes again", async () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const prod = makeHost(clock, stream, 'prod-2', {
      maxBuffered: 3,
      maxInFlight: 1,
      maxBatchBytes: 1024,
      maxBatchEvents: 3,
    });
    const first = readerProcess(clock, stream);
    first.poll();
    // Three events in one message.
    prod.emit(0);
    prod.emit(1);
    prod.emit(2);
    await settle();
    await first.source.discover();
    await settle();
    stream.deliver(1);
    await settle();
    first.poll();
    // The data-completion timer hands the first event over; the next one takes its place in
    // the queue and the last waits in the pull window.
    clock.advance(100);
    await settle();
    first.poll();
    expect(first.client.delivered).toEqual(['prod-2/0']);
    // The client closes with a receive outstanding: that receive carries the loss.
    first.reopen();
    await settle();
    first.link.kill();
    const second = readerProcess(clock, stream);
    for (let round = 0; round < 20; round++) {
      await settle();
      stream.deliver();
      clock.advance(250);
      second.poll();
    }
    expect(second.client.delivered).toEqual([]);
    expect(first.client.lost).toBe(2);
    expect(stream.length).toBe(0);
  });

  /** Three events in one message; the first delivered, its rest queued and waiting, no receive posted. */
  async function partlyDeliveredNoReceive() {
    const clock = new VirtualClock(1_700_000_000_000);
    const stream = new FakeJetStream({ maxMsgs: 1 });
    const prod = makeHost(clock, stream, 'prod-2', {
      maxBuffered: 3,
      maxInFlight: 1,
      maxBatchBytes: 1024,
      maxBatchEvents: 3,
    });
    const first = readerProcess(clock, stream);
    first.poll();
    prod.emit(0);
    prod.emit(1);
    prod.emit(2);
    await settle();
    await first.source.discover();
    await settle();
    stream.deliver(1);
    await settle();
    first.poll();
    clock.advance(100);
    await settle();
    first.take();
    expect(first.client.delivered).toEqual(['prod-2/0']);
    // Closed with no receive outstanding: the rest's loss waits for the next open's first buffer.
    first.reopen();
    await settle();
    return { clock, stream, first };
  }

  async function drainWith(
    process: ReturnType<typeof readerProcess>,
    stream: FakeJetStream,
    clock: VirtualClock,
  ) {
    for (let round = 0; round < 20; round++) {
      await settle();
      stream.deliver();
      clock.advance(250);
      process.poll();
    }
  }

  it('a message partly delivered, no receive pending at the close, killed before the next open delivers: the next process delivers it again', async () => {
    const { clock, stream, first } = await partlyDeliveredNoReceive();
    first.link.kill();
    const second = readerProcess(clock, stream);
    await drainWith(second, stream, clock);
    // At least once for the dead process's last message; its rest counted by nobody before.
    expect(first.client.lost).toBe(0);
    expect(second.client.delivered).toEqual(['prod-2/0', 'prod-2/1', 'prod-2/2']);
    expect(stream.length).toBe(0);
  });

  it('a message partly delivered, no receive pending at the close: acked once the next open delivered the rest as lost', async () => {
    const { clock, stream, first } = await partlyDeliveredNoReceive();
    await drainWith(first, stream, clock);
    expect(first.client.lost).toBe(2);
    expect(first.client.delivered).toEqual(['prod-2/0']);
    expect(stream.length).toBe(0);
    first.link.kill();
    const second = readerProcess(clock, stream);
    await drainWith(second, stream, clock);
    expect(second.client.delivered).toEqual([]);
  });
});
