/**
 * verify16d: the silent-request rule (review16d D3) against a server that
 * is slow, not gone. Model of nats-server 2.9.10's pull side for an idle
 * host (no messages): a request ends with 408 at its `expires`; during a
 * stall (disk, GC, a busy route) every status comes `stallMs` late, none is
 * lost. The reader's session is full (gate closed), so the pipeline sends
 * its 1 s keep-alives; its 8 data requests of the open period wait at the
 * server. A server that answers every request late is not a consumer gone;
 * checked, and held (no reproduction: verify16d found no defect here).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/testing/index.js';
import {
  PullPipeline,
  type PullFailure,
  type PullRequest,
} from '../../src/node/cluster/pull-pipeline.js';

class Gate {
  open = true;
  private wakers: (() => void)[] = [];
  ready(): boolean {
    return this.open;
  }
  whenReady(): Promise<void> {
    return this.open ? Promise.resolve() : new Promise((resolve) => this.wakers.push(resolve));
  }
}

class SlowServer {
  private readonly ends: { id: number; bytes: number; at: number }[] = [];
  /** While `now` is in [stallFrom, stallUntil), a status due then comes at stallUntil + 1 ms. */
  stallFrom = Infinity;
  stallUntil = -Infinity;
  pipeline: PullPipeline | undefined;
  constructor(private readonly clock: VirtualClock) {}
  request(id: number, request: PullRequest): void {
    this.ends.push({ id, bytes: request.maxBytes, at: this.clock.now() + request.expiresMs });
  }
  pass(ms: number): void {
    for (let left = ms; left > 0; left -= 50) {
      this.clock.advance(Math.min(50, left));
      const now = this.clock.now();
      for (const end of [...this.ends]) {
        let due = end.at;
        if (due >= this.stallFrom && due < this.stallUntil) due = this.stallUntil + 1;
        if (due > now) continue;
        this.ends.splice(this.ends.indexOf(end), 1);
        this.pipeline?.status(end.id, 408, 'Request Timeout', end.bytes);
      }
    }
  }
}

function run(stallMs: number): { failures: PullFailure[]; unanswered: number } {
  const clock = new VirtualClock();
  const gate = new Gate();
  const server = new SlowServer(clock);
  const failures: PullFailure[] = [];
  // Defaults: 1 MiB in 8 requests, a 15 s claim (capture.nats claim expiry).
  const pipeline = new PullPipeline({
    gate,
    clock,
    claimMs: 15_000,
    send: (id, request) => server.request(id, request),
    onFailure: (failure) => failures.push(failure),
  });
  server.pipeline = pipeline;
  pipeline.start();
  server.pass(10_000);
  // A message fills the session (the reader's gate closes as it takes it): keep-alives only.
  gate.open = false;
  pipeline.message(100);
  server.pass(500);
  server.stallFrom = clock.now();
  server.stallUntil = clock.now() + stallMs;
  server.pass(stallMs + 20_000);
  return { failures, unanswered: pipeline.stats().unanswered };
}

describe('verify16d: a slow server is not a consumer gone (review16d D3 silent-request rule)', () => {
  it('a stall of up to 8 s while gated (every status late, none lost) fails nothing', () => {
    for (const stallMs of [1000, 4000, 6000, 8000]) expect(run(stallMs).failures).toEqual([]);
  });

  it('a 12 s silence while gated fails it: nine 1 s keep-alives in a row heard nothing', () => {
    // Held, not a defect: the data requests sent before the last message are not counted
    // (they may have been used exactly), so only the keep-alives count.
    expect(run(12_000).failures).toEqual([
      { code: 0, description: 'no answer to 9 pull requests in a row: the consumer may be gone' },
    ]);
  });
});
