/**
 * review16d D3 and D4 as a property, through `StreamSessionSource` (the
 * reviewer found the shared pull budget, N12, covered only by a structural
 * test of the reader and by properties of the pipeline alone). The port
 * below is nats-server 2.9.10's pull side as pull-pipeline.test.ts models
 * it, with the real `PullPipeline` per host consumer, as nats-pull.ts runs
 * it: requests by bytes, answered round-robin with messages, 409 when the
 * next does not fit, 408 at `expires`; a consumer with no request added
 * for `claimMs` and none waiting is deleted, and a request to a deleted
 * consumer is answered by nobody; a failed pipeline's loop makes the
 * consumer again after 250 ms, as nats.ts's does.
 *
 * Drawn: the hosts (1 to 40), the reader's pull budget (one request to
 * eight), the claim expiry (3 to 20 s), and per host its bursts of events
 * with idle periods between them (up to 80 s: past the idle release,
 * RELEASE_IDLE_DISCOVERIES discoveries). Checked: no consumer the reader
 * still pulls from is ever deleted by the server (no claim lapses), and
 * every event sent is delivered to the session's client, none lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SessionTable, SyntheticEvent } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { PULLS_IN_FLIGHT, PullPipeline } from './pull-pipeline.js';
import { PULL_WINDOW_BYTES, type PullGate } from './pull-window.js';
import { CapturePublisher } from './publisher.js';
import type {
  ConsumePort,
  ConsumeSpec,
  ConsumerError,
  PublishOutcome,
  PublishPort,
  StreamMessage,
} from './ports.js';
import { StreamSessionSource } from './reader.js';
import { readBuffer, settle } from './test-kit.js';

const TICK_MS = 50;
const REQUEST_BYTES = PULL_WINDOW_BYTES / PULLS_IN_FLIGHT;

interface Stored {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string;
}

interface Waiting {
  readonly id: number;
  left: number;
  readonly expiresAt: number;
}

/** A durable consumer at the server, and the pipeline of the reader's loop bound to it. */
interface ServerConsumer {
  readonly host: string;
  waiting: Waiting[];
  lastRequestAt: number;
  pipeline: PullPipeline | undefined;
  onMessage?: (message: StreamMessage) => void;
}

class PullServerPort implements ConsumePort, PublishPort {
  /** Per host: its events not yet delivered, oldest first. */
  private readonly stored = new Map<string, Stored[]>();
  private readonly consumers = new Map<string, ServerConsumer>();
  private nextSeq = 1;
  /** Consumers deleted for want of requests while the reader still pulled from them. */
  lapsed = 0;
  errors: ConsumerError[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly claimMs: number,
  ) {}

  publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishOutcome> {
    const [kind, , host] = subject.split('.');
    if (kind === 'netrx' && host !== undefined) {
      const list = this.stored.get(host) ?? [];
      list.push({ seq: this.nextSeq++, subject, data: data.slice(), msgId });
      this.stored.set(host, list);
    }
    // Loss reports (announcements) are stored and unread here: discovery claims the hosts.
    return Promise.resolve({ kind: 'stored', duplicate: false });
  }

  streamHosts(): Promise<readonly string[]> {
    return Promise.resolve([...this.stored].filter(([, l]) => l.length > 0).map(([h]) => h));
  }

  consume(
    spec: ConsumeSpec,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: ConsumerError) => void,
    gate?: PullGate,
  ): { stop(): void } {
    if (gate === undefined) return { stop: () => undefined }; // the loss stream
    const host = spec.filter.split('.')[2] ?? '';
    let stopped = false;
    let retry: { cancel(): void } | undefined;
    let bound: ServerConsumer | undefined;
    const loop = () => {
      if (stopped) return;
      let consumer = this.consumers.get(spec.durable);
      if (consumer === undefined) {
        consumer = { host, waiting: [], lastRequestAt: this.clock.now(), pipeline: undefined };
        this.consumers.set(spec.durable, consumer);
      }
      const at = consumer;
      bound = at;
      spec.onBound?.();
      const pipeline = new PullPipeline({
        gate,
        clock: this.clock,
        claimMs: this.claimMs,
        send: (id, request) => {
          // A deleted consumer: the request reaches nobody, and nobody answers.
          if (this.consumers.get(spec.durable) !== at) return;
          at.lastRequestAt = this.clock.now();
          at.waiting.push({
            id,
            left: request.maxBytes,
            expiresAt: this.clock.now() + request.expiresMs,
          });
        },
        onFailure: (failure) => {
          at.pipeline = undefined;
          const error = {
            stream: spec.stream,
            durable: spec.durable,
            code: undefined,
            message: failure.description,
          };
          this.errors.push(error);
          onError?.(error);
          retry = this.clock.setTimer(250, loop);
        },
      });
      at.pipeline = pipeline;
      pipeline.start();
      // Handed in stream order, acked or given back by the reader.
      at.onMessage = onMessage;
    };
    loop();
    return {
      stop: () => {
        stopped = true;
        retry?.cancel();
        if (bound !== undefined) {
          bound.pipeline?.stop();
          bound.pipeline = undefined;
        }
      },
    };
  }

  /** One tick of the server: requests expire (408), idle consumers go, messages are handed out. */
  tick(): void {
    const now = this.clock.now();
    for (const [durable, consumer] of [...this.consumers]) {
      const pipeline = consumer.pipeline;
      for (const w of [...consumer.waiting]) {
        if (w.expiresAt > now) continue;
        consumer.waiting.splice(consumer.waiting.indexOf(w), 1);
        pipeline?.status(w.id, 408, 'Request Timeout', w.left);
      }
      if (consumer.waiting.length === 0 && now - consumer.lastRequestAt > this.claimMs) {
        this.consumers.delete(durable);
        if (consumer.pipeline !== undefined) this.lapsed++;
        continue;
      }
      this.serve(consumer);
    }
  }

  private serve(consumer: ServerConsumer): void {
    const list = this.stored.get(consumer.host) ?? [];
    for (;;) {
      const head = list[0];
      const w = consumer.waiting[0];
      const pipeline = consumer.pipeline;
      if (head === undefined || w === undefined || pipeline === undefined) return;
      const size = head.subject.length + head.data.length;
      consumer.waiting.shift();
      if (size > w.left) {
        pipeline.status(w.id, 409, 'Message Size Exceeds MaxBytes', w.left);
        continue;
      }
      w.left -= size;
      if (w.left > 0) consumer.waiting.push(w);
      list.shift();
      consumer.onMessage?.({
        subject: head.subject,
        data: head.data,
        seq: head.seq,
        msgId: head.msgId,
        ack: () => undefined,
        // Given back: first again (the reader naks only what it never queued).
        nak: () => list.unshift(head),
      });
      pipeline.message(size);
    }
  }
}

/** One host's plan: bursts of events, each after an idle period. */
const plan = fc.array(
  fc.record({
    idleMs: fc.integer({ min: 0, max: 70_000 }),
    events: fc.integer({ min: 1, max: 4 }),
  }),
  { minLength: 1, maxLength: 2 },
);

function publisherOf(clock: VirtualClock, port: PublishPort, host: string) {
  const registry = new TraceRegistry({ clock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port,
    registry,
    clock,
    host,
    session: 'lab',
    providers: [{ provider: 'netrx-synthetic' }],
    instance: `${host}-run`,
  });
  const payload = new Uint8Array(8);
  const view = new DataView(payload.buffer);
  return {
    publisher,
    emit: async (seq: number) => {
      view.setUint32(0, seq, true);
      provider.write(SyntheticEvent, payload);
      await settle();
    },
  };
}

describe('a glob reader over a modelled nats-server: hosts, budget, claims and idle periods drawn (review16d D3, D4)', () => {
  it('no claim the reader pulls from lapses, and every event of every host is delivered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          plans: fc.array(plan, { minLength: 1, maxLength: 40 }),
          budgetRequests: fc.integer({ min: 1, max: 8 }),
          claimMs: fc.integer({ min: 3000, max: 20_000 }),
        }),
        async ({ plans, budgetRequests, claimMs }) => {
          const clock = new VirtualClock();
          const port = new PullServerPort(clock, claimMs);
          const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
          const source = new StreamSessionSource({
            port,
            session: 'lab',
            hosts: 'lab-*',
            durable: 'netrx-reader-lab-prop',
            clock,
            pullBudgetBytes: budgetRequests * REQUEST_BYTES,
          });
          table
            .createSession({ name: 'lab', providers: [], source, limits: { timerMs: 100 } })
            .start();
          const handle = table.openSession('lab');
          await settle();
          // Per host its bursts' start times; a host sends `events` events one message each.
          const hosts = plans.map((bursts, h) => {
            let at = 0;
            const times = bursts.map((b) => ({ at: (at += b.idleMs), events: b.events }));
            return { name: `lab-${h}`, times, host: publisherOf(clock, port, `lab-${h}`) };
          });
          const sent = new Set<string>();
          const delivered: string[] = [];
          let lost = 0;
          let posted: ReturnType<SessionTable['receiveData']> | undefined;
          const end = Math.max(...hosts.flatMap((h) => h.times.map((t) => t.at))) + 60_000;
          let seq = 0;
          while (clock.now() <= end) {
            for (const h of hosts) {
              for (const burst of h.times) {
                if (burst.at !== undefined && burst.at <= clock.now() && burst.events > 0) {
                  for (; burst.events > 0; burst.events--) {
                    sent.add(`${h.name}:${seq}`);
                    await h.host.emit(seq++);
                  }
                }
              }
            }
            clock.advance(TICK_MS);
            port.tick();
            await settle();
            posted ??= table.receiveData(handle);
            const done = posted.result;
            if (done === undefined) continue;
            posted = undefined;
            if (done.status !== 'data') throw new Error(`receive ended: ${done.status}`);
            const buffer = readBuffer(done.data);
            for (const e of buffer.events) delivered.push(`${e.host}:${e.seq}`);
            lost += buffer.lost;
          }
          for (const h of hosts) h.host.publisher.close();
          expect(port.lapsed).toBe(0);
          expect(lost).toBe(0);
          expect(delivered.sort()).toEqual([...sent].sort());
        },
      ),
      { numRuns: 30 },
    );
  }, 300_000);
});
