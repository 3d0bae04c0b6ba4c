/**
 * review16d D3 (final outside review of issue #16): review16c N12's shared
 * pull budget can let a host's claim lapse. A pipeline sends a claim
 * keep-alive only while its gate is closed (`whileGated`); one queued for
 * the reader's budget (gate open, bytes taken by its other hosts) sends
 * nothing, and nats-server 2.9.10 deletes a pull consumer when no request
 * came for `inactive_threshold` (claimExpiresMs, 15 s) and none waits.
 * Idle hosts take the budget in turn, each request held up to
 * SCARCE_EXPIRES_MS (500 ms), so a host waits about hosts / slots × 0.5 s
 * for its turn: past 15 s with 31 idle hosts per request slot (one slot:
 * `pullBudgetBytes` at its documented minimum; the 8 MiB default has 64,
 * so about 1,900 idle hosts). A lapsed claim is deleted by the server and
 * made again by the consume loop, or taken by a standby reader.
 *
 * The server is modelled as pull-pipeline.test.ts models 2.9.10
 * (consumer.go): a request waits until its `expires`, then 408 with its
 * bytes left; a consumer with no request added for the threshold and none
 * waiting is deleted. Driven on a VirtualClock.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/testing/index.js';
import { PullBudget } from '../../src/node/cluster/pull-budget.js';
import { PullPipeline, type PullRequest } from '../../src/node/cluster/pull-pipeline.js';

const CLAIM_MS = 15_000;
const REQUEST_BYTES = 1000;

/** One host's consumer at the server: idle (no messages), requests expire with 408. */
class IdleConsumer {
  readonly waiting: { id: number; bytes: number; expiresAt: number }[] = [];
  lastRequestAt = 0;
  lapsedAt: number | undefined;
  pipeline: PullPipeline | undefined;
  constructor(private readonly clock: VirtualClock) {}

  request(id: number, request: PullRequest): void {
    this.lastRequestAt = this.clock.now();
    this.waiting.push({
      id,
      bytes: request.maxBytes,
      expiresAt: this.clock.now() + request.expiresMs,
    });
  }

  tick(): void {
    const now = this.clock.now();
    for (const w of [...this.waiting]) {
      if (w.expiresAt > now) continue;
      this.waiting.splice(this.waiting.indexOf(w), 1);
      this.pipeline?.status(w.id, 408, 'Request Timeout', w.bytes);
    }
    if (
      this.lapsedAt === undefined &&
      this.waiting.length === 0 &&
      now - this.lastRequestAt > CLAIM_MS
    ) {
      this.lapsedAt = now;
    }
  }
}

function run(hosts: number, slots: number, seconds: number) {
  const clock = new VirtualClock();
  const budget = new PullBudget(slots * REQUEST_BYTES);
  const consumers = Array.from({ length: hosts }, () => new IdleConsumer(clock));
  for (const consumer of consumers) {
    const pipeline = new PullPipeline({
      gate: { ready: () => true, whenReady: () => Promise.resolve() },
      clock,
      claimMs: CLAIM_MS,
      windowBytes: 2 * REQUEST_BYTES,
      pullsInFlight: 2,
      budget,
      send: (id, request) => consumer.request(id, request),
      onFailure: () => undefined,
    });
    consumer.pipeline = pipeline;
    pipeline.start();
  }
  for (let t = 0; t < seconds * 10; t++) {
    clock.advance(100);
    for (const consumer of consumers) consumer.tick();
  }
  return consumers.filter((c) => c.lapsedAt !== undefined).length;
}

describe('review16d D3: a host queued for the pull budget sends no keep-alive', () => {
  it('control: 20 idle hosts on one request slot keep every claim over 60 s', () => {
    expect(run(20, 1, 60)).toBe(0);
  });

  it('was FAILS ON MAIN (review16d D3): 40 idle hosts on one request slot keep every claim over 60 s', () => {
    expect(run(40, 1, 60)).toBe(0);
  });
});
