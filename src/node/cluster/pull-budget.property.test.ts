/**
 * review16c N12 as a property: a reader's hosts share one pull budget.
 * Drawn: the number of hosts, each one's messages (count and sizes: one
 * busy host among quiet ones, or all alike), each pipeline's window and
 * requests in flight, the budget (from one request to more than every
 * window), and the server's moves (deliver to one host's oldest request,
 * let time pass so requests expire, close and open the reader's gate).
 * The server (a model of nats-server 2.9.10's pull requests: by bytes,
 * 409 with `Nats-Pending-Bytes` when the next message does not fit, 408
 * at `expires`, a request used exactly ends silently; a keep-alive, 409 at
 * once when messages wait, else 408 at `expires`) checks at every
 * step that the bytes the reader may still be sent, across all hosts,
 * never exceed the budget. Then the gate opens and the server runs on:
 * every host's messages all arrive (no host starves), in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { PullBudget } from './pull-budget.js';
import { PullPipeline, type PullRequest } from './pull-pipeline.js';
import type { PullGate } from './pull-window.js';

/** A gate the test opens and closes (the reader's pull window). */
class Gate implements PullGate {
  private open = true;
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

interface ServerRequest {
  readonly id: number;
  left: number;
  readonly expiresAt: number;
}

/** One host's consumer at the server: its messages and the requests waiting for them. */
class HostAtServer {
  readonly requests: ServerRequest[] = [];
  readonly keepAlives: ServerRequest[] = [];
  readonly received: number[] = [];
  next = 0;
  pipeline: PullPipeline | undefined;

  constructor(
    readonly sizes: readonly number[],
    private readonly clock: VirtualClock,
  ) {}

  request(id: number, request: PullRequest): void {
    this.requests.push({
      id,
      left: request.maxBytes,
      expiresAt: this.clock.now() + request.expiresMs,
    });
  }

  /**
   * A keep-alive (`max_bytes: 1`): no message fits it, so the server answers
   * at once when messages wait (409) and else at its `expires` (408).
   */
  keepAlive(id: number, request: PullRequest): void {
    if (this.next < this.sizes.length) {
      this.pipeline?.status(id, 409, 'Message Size Exceeds MaxBytes', 1);
      return;
    }
    this.keepAlives.push({ id, left: 1, expiresAt: this.clock.now() + request.expiresMs });
  }

  /** The server hands the oldest request what fits of the next messages. */
  deliver(max: number): void {
    const pipeline = this.pipeline as PullPipeline;
    for (let n = 0; n < max; n++) {
      const request = this.requests[0];
      const size = this.sizes[this.next];
      if (request === undefined || size === undefined) return;
      if (size > request.left) {
        this.requests.shift();
        pipeline.status(request.id, 409, 'Message Size Exceeds MaxBytes', request.left);
        continue;
      }
      request.left -= size;
      this.next++;
      if (request.left === 0) this.requests.shift(); // used exactly: ends with no word
      this.received.push(this.next - 1);
      pipeline.message(size);
    }
  }

  /** Requests past their `expires` end with the bytes they left (408). */
  expire(): void {
    const pipeline = this.pipeline as PullPipeline;
    for (const request of [...this.requests]) {
      if (request.expiresAt > this.clock.now()) continue;
      this.requests.splice(this.requests.indexOf(request), 1);
      pipeline.status(request.id, 408, 'Request Timeout', request.left);
    }
    for (const keepAlive of [...this.keepAlives]) {
      if (keepAlive.expiresAt > this.clock.now()) continue;
      this.keepAlives.splice(this.keepAlives.indexOf(keepAlive), 1);
      pipeline.status(keepAlive.id, 408, 'Request Timeout', 1);
    }
  }

  /** What the server may still send this host's reader. */
  get owed(): number {
    return this.requests.reduce((sum, r) => sum + r.left, 0);
  }
}

const move = fc.oneof(
  fc.record({
    kind: fc.constant('deliver' as const),
    host: fc.nat(),
    max: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('gate' as const), open: fc.boolean() }),
);

const settings = fc
  .record({
    hosts: fc.integer({ min: 1, max: 12 }),
    requestBytes: fc.integer({ min: 64, max: 4096 }),
    pullsInFlight: fc.integer({ min: 1, max: 3 }),
    // The budget in requests: one (every host takes turns) to more than every window.
    budgetRequests: fc.integer({ min: 1, max: 40 }),
    busy: fc.boolean(),
    seedSizes: fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 40 }),
  })
  .map((s) => ({
    ...s,
    windowBytes: s.requestBytes * s.pullsInFlight,
    budgetBytes: s.requestBytes * s.budgetRequests,
  }));

describe('the reader’s pull budget, shared by its hosts (review16c N12, property)', () => {
  it('the bytes the server may send never exceed the budget, and every host gets all its messages', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.array(move, { maxLength: 80 }), async (s, moves) => {
        const clock = new VirtualClock();
        const gate = new Gate();
        const budget = new PullBudget(s.budgetBytes);
        const hosts = Array.from({ length: s.hosts }, (_, h) => {
          // Host 0 is the busy one when drawn so: many messages; the others a few.
          const count = s.busy && h > 0 ? 2 : s.seedSizes.length;
          const sizes = Array.from(
            { length: count },
            (_, i) => 1 + ((s.seedSizes[(i + h) % s.seedSizes.length] ?? 1) % s.requestBytes),
          );
          return new HostAtServer(sizes, clock);
        });
        for (const host of hosts) {
          host.pipeline = new PullPipeline({
            gate,
            clock,
            claimMs: 15_000,
            budget,
            windowBytes: s.windowBytes,
            pullsInFlight: s.pullsInFlight,
            send: (id, request) => {
              // Keep-alives (`max_bytes: 1`) deliver nothing, and are answered (review16d D3:
              // three silent in a row fail the pipeline, as a deleted consumer's would).
              if (request.maxBytes > 1) host.request(id, request);
              else host.keepAlive(id, request);
            },
            onFailure: (failure) => {
              throw new Error(`a request failed: ${failure.code} ${failure.description}`);
            },
          });
        }
        const owed = () => hosts.reduce((sum, h) => sum + h.owed, 0);
        const check = () => {
          expect(owed()).toBeLessThanOrEqual(s.budgetBytes);
          expect(budget.outstanding).toBeLessThanOrEqual(s.budgetBytes);
        };
        // In steps, the server answering each request at its `expires` (PULL_GRACE_MS
        // before the pipeline would count it unanswered).
        const passTime = (ms: number) => {
          for (let left = ms; left > 0; left -= Math.min(left, 100)) {
            clock.advance(Math.min(left, 100));
            for (const host of hosts) host.expire();
          }
        };
        const settle = async () => {
          for (let i = 0; i < 5; i++) await Promise.resolve();
        };
        for (const host of hosts) host.pipeline?.start();
        check();
        for (const m of moves) {
          if (m.kind === 'deliver') hosts[m.host % hosts.length]?.deliver(m.max);
          else if (m.kind === 'gate') gate.set(m.open);
          else passTime(m.ms);
          await settle();
          check();
        }
        // The gate opens and the server runs on: every host drains, none starves.
        gate.set(true);
        await settle();
        const total = hosts.reduce((sum, h) => sum + h.sizes.length, 0);
        // Rounds of 100 ms: the server delivers while each request of 500 ms waits.
        for (let round = 0; round < 10 * (50 * total + 50); round++) {
          for (const host of hosts) host.deliver(8);
          check();
          if (hosts.every((h) => h.next === h.sizes.length)) break;
          passTime(100);
          await settle();
          check();
        }
        for (const host of hosts) {
          expect(host.received).toEqual([...host.sizes.keys()]);
          host.pipeline?.stop();
        }
        expect(budget.outstanding).toBe(0);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
