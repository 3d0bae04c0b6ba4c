import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { STREAM_MAX_MESSAGE_BYTES } from './nats.js';
import { PULL_GRACE_MS, PULLS_IN_FLIGHT, PullPipeline, type PullRequest } from './pull-pipeline.js';
import { PULL_WINDOW_BYTES } from './pull-window.js';
import type { PullGate } from './pull-window.js';

/** A gate the test opens and closes (the reader's session having room, or not). */
class TestGate implements PullGate {
  open = true;
  private wakers: (() => void)[] = [];
  ready(): boolean {
    return this.open;
  }
  whenReady(): Promise<void> {
    if (this.open) return Promise.resolve();
    return new Promise((resolve) => this.wakers.push(resolve));
  }
  set(open: boolean): void {
    this.open = open;
    if (!open) return;
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

interface Waiting {
  readonly id: number;
  bytesLeft: number;
  messagesLeft: number;
  readonly expiresAt: number;
  readonly keepAlive: boolean;
}

/**
 * nats-server 2.9.10's pull side, as consumer.go has it: waiting requests
 * served round-robin, one message each in turn; a message larger than a
 * request's bytes left ends that request (409 Message Size Exceeds
 * MaxBytes with Nats-Pending-Bytes); a request whose bytes or count reach
 * zero ends silently; an expired one gets 408 with its bytes left; the
 * consumer is deleted when no request came for `thresholdMs` and none waits.
 */
class PullServer {
  readonly waiting: Waiting[] = [];
  readonly stream: number[] = [];
  delivered: number[] = [];
  lastRequestAt = 0;
  lapsed = false;
  requestsWhileGated = 0;
  pipeline: PullPipeline | undefined;
  private nextSeq = 1;
  constructor(
    private readonly clock: VirtualClock,
    private readonly gate: TestGate,
    private readonly thresholdMs: number,
  ) {}

  request(id: number, request: PullRequest): void {
    if (!this.gate.open && request.maxBytes > 1) this.requestsWhileGated++;
    this.lastRequestAt = this.clock.now();
    this.waiting.push({
      id,
      bytesLeft: request.maxBytes,
      messagesLeft: request.batch,
      expiresAt: this.clock.now() + request.expiresMs,
      keepAlive: request.maxBytes === 1,
    });
  }

  publish(size: number): void {
    this.stream.push(this.nextSeq++ * 1_000_000 + size);
  }

  /** Hands out what it can now, as the server's delivery loop does. */
  serve(): void {
    const pipeline = this.pipeline as PullPipeline;
    for (;;) {
      this.expire();
      const head = this.stream[0];
      const wr = this.waiting[0];
      if (head === undefined || wr === undefined) return;
      const size = head % 1_000_000;
      this.waiting.shift();
      if (size > wr.bytesLeft) {
        pipeline.status(wr.id, 409, 'Message Size Exceeds MaxBytes', wr.bytesLeft);
        continue;
      }
      wr.bytesLeft -= size;
      wr.messagesLeft--;
      if (wr.bytesLeft > 0 && wr.messagesLeft > 0) this.waiting.push(wr);
      this.stream.shift();
      this.delivered.push(Math.floor(head / 1_000_000));
      // The reader takes it; a gate that closes on it is the test's to decide (`onDelivered`).
      this.onDelivered();
      pipeline.message(size);
    }
  }

  onDelivered: () => void = () => undefined;

  expire(): void {
    const now = this.clock.now();
    for (const wr of [...this.waiting]) {
      if (wr.expiresAt > now) continue;
      this.waiting.splice(this.waiting.indexOf(wr), 1);
      this.pipeline?.status(wr.id, 408, 'Request Timeout', wr.bytesLeft);
    }
    if (now - this.lastRequestAt > this.thresholdMs && this.waiting.length === 0) {
      this.lapsed = true;
    }
  }

  /** Bytes the server still owes our requests for messages (the true outstanding). */
  get owed(): number {
    return this.waiting.filter((w) => !w.keepAlive).reduce((n, w) => n + w.bytesLeft, 0);
  }
}

function setup(options: {
  windowBytes: number;
  pullsInFlight: number;
  claimMs: number;
  expiresMs?: number;
}) {
  const clock = new VirtualClock();
  const gate = new TestGate();
  const server = new PullServer(clock, gate, options.claimMs);
  const failures: unknown[] = [];
  const pipeline = new PullPipeline({
    gate,
    clock,
    claimMs: options.claimMs,
    windowBytes: options.windowBytes,
    pullsInFlight: options.pullsInFlight,
    ...(options.expiresMs === undefined ? {} : { expiresMs: options.expiresMs }),
    send: (id, request) => server.request(id, request),
    onFailure: (failure) => failures.push(failure),
  });
  server.pipeline = pipeline;
  return { clock, gate, server, pipeline, failures };
}

/** Lets promise callbacks (the gate's `whenReady`) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PullPipeline', () => {
  it('keeps the next request at the server while one drains: every message pending is delivered without waiting for an expiry', () => {
    const { server, pipeline } = setup({
      windowBytes: 64 * 1024,
      pullsInFlight: 2,
      claimMs: 3000,
    });
    pipeline.start();
    expect(pipeline.requestsOutstanding).toBe(2);
    for (let i = 0; i < 1000; i++) server.publish(8300);
    server.serve();
    // The clock never moved: no request waited for its `expires`.
    expect(server.delivered).toHaveLength(1000);
    expect(pipeline.stats().expired).toBe(0);
    // About one request per 32 KiB of messages, not one per 100 messages or per expiry.
    expect(pipeline.stats().requests).toBeGreaterThan(250);
    expect(pipeline.bytesOutstanding).toBeLessThanOrEqual(64 * 1024);
    expect(server.owed).toBeLessThanOrEqual(64 * 1024);
    expect(server.waiting.length).toBeGreaterThan(0);
  });

  it('a request that used its bytes exactly ends silently and its room comes back', () => {
    const { server, pipeline } = setup({ windowBytes: 2000, pullsInFlight: 2, claimMs: 3000 });
    pipeline.start();
    // Each request is 1000 bytes: messages of 500 use two requests exactly, with no status.
    for (let i = 0; i < 40; i++) server.publish(500);
    server.serve();
    expect(server.delivered).toHaveLength(40);
    expect(pipeline.stats().filled).toBe(0);
    expect(pipeline.requestsOutstanding).toBeGreaterThan(2);
    expect(server.waiting).toHaveLength(2);
  });

  it('while gated it asks for nothing, renews the claim every third of claimMs, and pulls again once the gate opens', async () => {
    const { clock, gate, server, pipeline } = setup({
      windowBytes: 8192,
      pullsInFlight: 2,
      claimMs: 3000,
    });
    pipeline.start();
    for (let i = 0; i < 100; i++) server.publish(1000);
    let taken = 0;
    server.onDelivered = () => {
      if (++taken === 10) gate.set(false);
    };
    server.serve();
    const requestsGated = pipeline.stats().requests;
    // Ten seconds gated, with messages waiting in the stream: the claim must hold.
    for (let t = 0; t < 10_000; t += 250) {
      clock.advance(250);
      server.serve();
    }
    expect(pipeline.stats().requests).toBe(requestsGated);
    expect(server.requestsWhileGated).toBe(0);
    expect(pipeline.stats().keepAlives).toBeGreaterThanOrEqual(9);
    expect(server.lapsed).toBe(false);
    expect(server.delivered.length).toBeLessThan(20);
    gate.set(true);
    await settle();
    server.serve();
    expect(server.delivered).toHaveLength(100);
  });

  it('a request the server never answers is dropped at its deadline, and the window asks again', () => {
    const { clock, server, pipeline } = setup({
      windowBytes: 4096,
      pullsInFlight: 2,
      claimMs: 3000,
      expiresMs: 2000,
    });
    pipeline.start();
    // The server restarted and forgot both requests (no 408 will come).
    server.waiting.length = 0;
    expect(pipeline.requestsOutstanding).toBe(2);
    clock.advance(2000 + PULL_GRACE_MS);
    expect(pipeline.stats().unanswered).toBe(2);
    expect(server.waiting).toHaveLength(2);
    server.publish(100);
    server.serve();
    expect(server.delivered).toEqual([1]);
  });

  it('a message larger than a whole request fails the pipeline instead of asking again and again', () => {
    const { server, pipeline, failures } = setup({
      windowBytes: 4096,
      pullsInFlight: 2,
      claimMs: 3000,
    });
    pipeline.start();
    server.publish(3000);
    server.serve();
    expect(failures).toEqual([
      { code: 409, description: 'Message Size Exceeds MaxBytes: a message larger than 2048 bytes' },
    ]);
    expect(pipeline.stats().requests).toBe(2);
  });

  it('the default window takes the largest message a capture stream stores, with its subject and reply', () => {
    expect(PULL_WINDOW_BYTES / PULLS_IN_FLIGHT).toBeGreaterThanOrEqual(
      STREAM_MAX_MESSAGE_BYTES + 1024,
    );
  });

  it('a status other than an end fails it (the consume loop starts over)', () => {
    const { pipeline, failures } = setup({
      windowBytes: 4096,
      pullsInFlight: 2,
      claimMs: 3000,
    });
    pipeline.start();
    pipeline.status(1, 409, 'Consumer Deleted');
    expect(failures).toEqual([{ code: 409, description: 'Consumer Deleted' }]);
    expect(pipeline.requestsOutstanding).toBe(0);
  });

  it('property: bounded bytes, stream order, no request while gated, the claim held, and liveness (settings drawn)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          windowBytes: fc.integer({ min: 2048, max: 300_000 }),
          pullsInFlight: fc.integer({ min: 1, max: 4 }),
          claimMs: fc.integer({ min: 300, max: 6000 }),
          expiresMs: fc.integer({ min: 500, max: 6000 }),
        }),
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('publish' as const),
              size: fc.integer({ min: 40, max: 2048 }),
              count: fc.integer({ min: 1, max: 40 }),
            }),
            fc.record({ kind: fc.constant('gate' as const), open: fc.boolean() }),
            fc.record({
              kind: fc.constant('advance' as const),
              ms: fc.integer({ min: 1, max: 3000 }),
            }),
          ),
          { maxLength: 60 },
        ),
        async (settings, steps) => {
          const { clock, gate, server, pipeline, failures } = setup(settings);
          pipeline.start();
          let published = 0;
          for (const step of steps) {
            if (step.kind === 'publish') {
              for (let i = 0; i < step.count; i++)
                server.publish(Math.min(step.size, settings.windowBytes >> 2));
              published += step.count;
            } else if (step.kind === 'gate') {
              gate.set(step.open);
              await settle();
            } else {
              // In steps below the keep-alive period, as time passes for the server too.
              for (let left = step.ms; left > 0; left -= Math.min(left, 50)) {
                clock.advance(Math.min(left, 50));
                server.serve();
              }
            }
            server.serve();
            expect(server.owed).toBeLessThanOrEqual(settings.windowBytes);
            expect(pipeline.bytesOutstanding).toBeLessThanOrEqual(settings.windowBytes);
            expect(server.requestsWhileGated).toBe(0);
            // Liveness: with the gate open, nothing pending is left undelivered at this instant.
            if (gate.open) expect(server.stream).toHaveLength(0);
          }
          gate.set(true);
          await settle();
          server.serve();
          expect(server.delivered).toEqual(Array.from({ length: published }, (_, i) => i + 1));
          expect(server.lapsed).toBe(false);
          expect(failures).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
