import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { PullBudget, READER_PULL_BYTES, readerPullBudget } from './pull-budget.js';
import {
  PULL_EXPIRES_MS,
  PullPipeline,
  SCARCE_EXPIRES_MS,
  type PullRequest,
} from './pull-pipeline.js';
import type { ConsumePort } from './ports.js';
import type { PullGate } from './pull-window.js';
import { StreamSessionSource } from './reader.js';

describe('PullBudget (review16c N12)', () => {
  it('grants first come first: a busy host that asks again queues behind the hosts waiting', () => {
    const budget = new PullBudget(200);
    const order: string[] = [];
    expect(budget.take(100, () => order.push('busy'))).toBe(true);
    expect(budget.take(100, () => order.push('busy'))).toBe(true);
    expect(budget.take(100, () => order.push('quiet-1'))).toBe(false);
    expect(budget.take(100, () => order.push('quiet-2'))).toBe(false);
    // The busy host's request drains and it asks again at once: behind the two.
    budget.give(100);
    expect(budget.take(100, () => order.push('busy again'))).toBe(false);
    budget.give(60);
    expect(order).toEqual(['quiet-1']);
    budget.give(40);
    budget.give(100);
    expect(order).toEqual(['quiet-1', 'quiet-2', 'busy again']);
    expect([budget.outstanding, budget.queued]).toEqual([200, 0]);
  });

  it('a free byte never goes past the head: a small request waits behind a large one until it is withdrawn', () => {
    const budget = new PullBudget(100);
    expect(budget.take(90, () => undefined)).toBe(true);
    const got: string[] = [];
    const large = () => got.push('large');
    expect(budget.take(50, large)).toBe(false);
    expect(budget.take(5, () => got.push('small'))).toBe(false);
    // Ten bytes are free, but the head needs fifty: the small one waits its turn.
    expect(got).toEqual([]);
    expect(budget.cancel(() => undefined)).toBe(false);
    // The large one withdrawn (its pipeline stopped): the small one is granted at once.
    expect(budget.cancel(large)).toBe(true);
    expect(got).toEqual(['small']);
    expect([budget.outstanding, budget.queued]).toEqual([95, 0]);
  });

  it('a request sent while the budget is scarce expires soon: an idle host gives its share back', () => {
    const sent: PullRequest[] = [];
    const pipeline = (budget: PullBudget) =>
      new PullPipeline({
        gate: { ready: () => true, whenReady: () => Promise.resolve() },
        clock: new VirtualClock(),
        claimMs: 15_000,
        windowBytes: 2000,
        pullsInFlight: 2,
        budget,
        send: (_id, request) => sent.push(request),
        onFailure: () => undefined,
      });
    pipeline(new PullBudget(10_000)).start();
    expect(sent.map((r) => r.expiresMs)).toEqual([PULL_EXPIRES_MS, PULL_EXPIRES_MS]);
    sent.length = 0;
    // Room for two requests: the second leaves none, so it waits at the server briefly.
    pipeline(new PullBudget(2000)).start();
    expect(sent.map((r) => r.expiresMs)).toEqual([PULL_EXPIRES_MS, SCARCE_EXPIRES_MS]);
  });

  it('refuses a request larger than the budget, and a budget of no bytes', () => {
    expect(() => new PullBudget(0)).toThrow(RangeError);
    expect(() => new PullBudget(10).take(11, () => undefined)).toThrow(RangeError);
    expect(() => readerPullBudget(64 * 1024)).toThrow(/at least 131072/);
    expect(readerPullBudget().totalBytes).toBe(READER_PULL_BYTES);
  });

  it('a reader hands every host consumer the same budget, of pullBudgetBytes', () => {
    const gates: (PullGate | undefined)[] = [];
    const port: ConsumePort = {
      consume: (_spec, _onMessage, _onError, gate) => {
        gates.push(gate);
        return { stop: () => undefined };
      },
      streamHosts: () => Promise.resolve([]),
    };
    const source = new StreamSessionSource({
      port,
      session: 'lab',
      hosts: 'lab-1',
      durable: 'netrx-reader-lab-n12',
      clock: new VirtualClock(),
      pullBudgetBytes: 1 << 20,
    });
    source.open({ fits: () => true, lost: () => undefined } as never);
    const hostGate = gates[0];
    expect(hostGate?.budget?.totalBytes).toBe(1 << 20);
    expect(() => new StreamSessionSource({ port, session: 'lab', pullBudgetBytes: 1000 })).toThrow(
      RangeError,
    );
  });
});
