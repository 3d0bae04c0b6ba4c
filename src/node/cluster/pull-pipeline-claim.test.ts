/**
 * review16d D3: a pipeline keeps its claim while queued for the reader's
 * budget, and one whose consumer is gone (the server answers nothing)
 * fails, so the consume loop makes the consumer again. The server here is
 * nats-server 2.9.10 as pull-pipeline.test.ts models it, cut down to what
 * these cases need: no message waits, so a request ends with 408 at its
 * `expires`, unless the server forgot it or the consumer is gone.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { PullBudget } from './pull-budget.js';
import {
  PULL_GRACE_MS,
  PullPipeline,
  unansweredInARowLimit,
  type PullFailure,
  type PullRequest,
} from './pull-pipeline.js';

const OPEN = { ready: () => true, whenReady: () => Promise.resolve() };

class IdleServer {
  readonly sent: { at: number; request: PullRequest }[] = [];
  private readonly waiting: { id: number; bytes: number; expiresAt: number }[] = [];
  /** False once the consumer is deleted: requests reach nobody, and nobody answers. */
  consumerExists = true;
  pipeline: PullPipeline | undefined;
  constructor(private readonly clock: VirtualClock) {}

  request(id: number, request: PullRequest): void {
    this.sent.push({ at: this.clock.now(), request });
    if (!this.consumerExists) return;
    this.waiting.push({
      id,
      bytes: request.maxBytes,
      expiresAt: this.clock.now() + request.expiresMs,
    });
  }

  /** Forgets every waiting request (a consumer leader change): none gets its 408. */
  forget(): void {
    this.waiting.length = 0;
  }

  /** Time passes in steps of 50 ms; each request ends with 408 at its `expires`. */
  pass(ms: number): void {
    for (let left = ms; left > 0; left -= 50) {
      this.clock.advance(Math.min(50, left));
      for (const w of [...this.waiting]) {
        if (w.expiresAt > this.clock.now()) continue;
        this.waiting.splice(this.waiting.indexOf(w), 1);
        this.pipeline?.status(w.id, 408, 'Request Timeout', w.bytes);
      }
    }
  }
}

function setup(budget?: PullBudget, claimMs = 15_000) {
  const clock = new VirtualClock();
  const server = new IdleServer(clock);
  const failures: PullFailure[] = [];
  const pipeline = new PullPipeline({
    gate: OPEN,
    clock,
    claimMs,
    windowBytes: 2000,
    pullsInFlight: 2,
    ...(budget === undefined ? {} : { budget }),
    send: (id, request) => server.request(id, request),
    onFailure: (failure) => failures.push(failure),
  });
  server.pipeline = pipeline;
  return { clock, server, pipeline, failures };
}

describe('PullPipeline keeps its claim and notices a consumer gone (review16d D3)', () => {
  it('queued for the budget, it renews the claim at once, then a third of claimMs after its last request, taking no budget', () => {
    const budget = new PullBudget(1000);
    // Another host holds the whole budget for a minute.
    expect(budget.take(1000, () => undefined)).toBe(true);
    const { server, pipeline } = setup(budget);
    pipeline.start();
    expect(server.sent).toEqual([]);
    server.pass(60_000);
    // The first at once: the consumer bound may be one whose claim is about to lapse.
    expect(server.sent.map((s) => s.request.maxBytes)).toEqual(Array(13).fill(1));
    expect(server.sent[0]?.at).toBe(0);
    const gaps = server.sent.slice(1).map((s, i) => s.at - (server.sent[i]?.at ?? 0));
    expect(new Set(gaps)).toEqual(new Set([5000]));
    expect(pipeline.stats()).toMatchObject({ keepAlives: 13, queuedKeepAlives: 13, requests: 0 });
    expect(budget.outstanding).toBe(1000);
    // Its turn: it asks for messages, and stops sending keep-alives.
    budget.give(1000);
    expect(server.sent.at(-1)?.request.maxBytes).toBe(1000);
    const sent = server.sent.length;
    server.pass(400);
    expect(server.sent.slice(sent).every((s) => s.request.maxBytes > 1)).toBe(true);
  });

  it(`${unansweredInARowLimit(2)} requests in a row with no answer fail it: the consumer is gone`, () => {
    const { server, pipeline, failures } = setup();
    pipeline.start();
    server.pass(20_000);
    expect(failures).toEqual([]);
    server.consumerExists = false;
    // The requests already waiting are answered; the ones sent after it, never.
    let waited = 0;
    while (failures.length === 0 && waited < 60_000) {
      server.pass(50);
      waited += 50;
    }
    expect(failures).toEqual([
      {
        code: 0,
        description: `no answer to ${unansweredInARowLimit(2)} pull requests in a row: the consumer may be gone`,
      },
    ]);
    // Within three requests' waits (5 s each, and the grace). One sent before the last
    // answer came (the 408 of its elder) is silent too but not counted: it heard a word.
    expect(pipeline.stats().unanswered).toBeGreaterThanOrEqual(unansweredInARowLimit(2));
    expect(waited).toBeLessThanOrEqual(3 * (5000 + PULL_GRACE_MS));
    expect(pipeline.stats().silentFailures).toBe(1);
    expect(pipeline.requestsOutstanding).toBe(0);
  });

  it('a queued pipeline whose consumer is gone fails too: its keep-alives go unanswered', () => {
    const budget = new PullBudget(1000);
    expect(budget.take(1000, () => undefined)).toBe(true);
    const { server, pipeline, failures } = setup(budget, 3000);
    pipeline.start();
    server.pass(10_000);
    expect(failures).toEqual([]);
    server.consumerExists = false;
    server.pass(10_000);
    expect(failures).toHaveLength(1);
    expect(budget.queued).toBe(0);
  });

  it('requests the server forgot all at once are not a failure: the next ones are answered', () => {
    const { server, pipeline, failures } = setup();
    pipeline.start();
    for (let round = 0; round < 5; round++) {
      server.pass(1000);
      server.forget();
      server.pass(15_000);
    }
    expect(pipeline.stats().unanswered).toBe(10);
    expect(failures).toEqual([]);
  });
});
