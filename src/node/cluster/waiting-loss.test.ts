import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamMessage } from './ports.js';
import { WaitingLoss } from './waiting-loss.js';

function message(acks: string[], name: string): StreamMessage {
  return {
    subject: name,
    data: new Uint8Array(0),
    seq: 1,
    ack: () => acks.push(name),
    nak: () => undefined,
  };
}

describe('WaitingLoss: which counted loss reached the client (verify16d N2)', () => {
  it('cuts a portion at the line, acks a report only once all its growth was delivered', () => {
    const acks: string[] = [];
    const waiting = new WaitingLoss();
    waiting.counted('a', 'r1', 0, 3, message(acks, 'a1'));
    waiting.counted('b', 'r1', 4, 2, message(acks, 'b1'));
    expect(waiting.waiting).toBe(5);
    expect(waiting.hosts()).toEqual(['a', 'b']);
    expect([...waiting.delivered(4)]).toEqual(['a']);
    expect(waiting.deliveredRuns('a')).toEqual(new Map([['r1', 1]]));
    expect(acks).toEqual([]);
    expect([...waiting.delivered(4)]).toEqual([]);
    expect([...waiting.delivered(1)]).toEqual(['a', 'b']);
    expect(acks).toEqual(['a1']);
    expect(waiting.owes('a')).toBe(false);
    expect(waiting.deliveredRuns('a')).toEqual(new Map());
    expect(waiting.deliveredRuns('b')).toEqual(new Map([['r1', 5]]));
    waiting.delivered(0);
    expect(acks).toEqual(['a1', 'b1']);
    expect(waiting.waiting).toBe(0);
    expect(waiting.owes('b')).toBe(false);
  });

  it("never says less of a run than a floor another holder's client got", () => {
    const waiting = new WaitingLoss();
    waiting.counted('a', 'r1', 5, 3);
    waiting.raise('a', 'r1', 10);
    waiting.raise('a', 'r2', 99);
    expect(waiting.deliveredRuns('a')).toEqual(new Map([['r1', 10]]));
    waiting.delivered(2);
    expect(waiting.deliveredRuns('a')).toEqual(new Map([['r1', 10]]));
  });

  it('stays exact over thousands of portions (its arrays are compacted as they go)', () => {
    const waiting = new WaitingLoss();
    const acks: string[] = [];
    for (let i = 0; i < 3000; i++)
      waiting.counted(`h${i % 2}`, 'r', i >> 1, 1, message(acks, `${i}`));
    for (let left = 3000; left > 0; left -= 7) {
      waiting.delivered(Math.max(0, left - 7));
      const done = 3000 - Math.max(0, left - 7);
      expect(acks.length).toBe(done);
      if (left > 7) {
        expect(waiting.deliveredRuns('h0').get('r')).toBe(Math.ceil(done / 2));
        expect(waiting.deliveredRuns('h1').get('r')).toBe(Math.floor(done / 2));
      }
    }
    expect(waiting.hosts()).toEqual([]);
  });

  it('ackAll acks each waiting report once, and only once', () => {
    const acks: string[] = [];
    const waiting = new WaitingLoss();
    waiting.counted('a', 'r1', 0, 1, message(acks, 'a1'));
    waiting.counted('a', 'r1', 1, 1, message(acks, 'a2'));
    waiting.ackAll();
    waiting.delivered(0);
    expect(acks).toEqual(['a1', 'a2']);
    expect(waiting.owes('a')).toBe(false);
  });

  /**
   * A model session: units in counted order, tracked (a run's growth) or not
   * (the session's other loss); a delivery takes the oldest units. Drawn:
   * the hosts and runs, the share of untracked loss, and any sequence.
   */
  it('says delivered no more of any run than reached the client, and all once nothing waits', () => {
    const settings = fc.record({
      hosts: fc.integer({ min: 1, max: 3 }),
      runs: fc.integer({ min: 1, max: 3 }),
    });
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('count' as const),
        who: fc.nat(8),
        count: fc.integer({ min: 1, max: 5 }),
      }),
      fc.record({ kind: fc.constant('other' as const), count: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('deliver' as const), units: fc.nat(12) }),
    );
    fc.assert(
      fc.property(settings, fc.array(step, { maxLength: 60 }), (s, steps) => {
        const waiting = new WaitingLoss();
        const queue: (string | undefined)[] = []; // each unit's run key, undefined untracked
        const counts = new Map<string, number>();
        const got = new Map<string, number>();
        const check = () => {
          for (const [key, count] of counts) {
            const [host = '', run = ''] = key.split('/');
            const said = waiting.deliveredRuns(host).get(run) ?? count;
            expect(said).toBeLessThanOrEqual(got.get(key) ?? 0);
          }
        };
        for (const st of steps) {
          if (st.kind === 'count') {
            const host = `h${st.who % s.hosts}`;
            const run = `r${Math.floor(st.who / s.hosts) % s.runs}`;
            const key = `${host}/${run}`;
            const before = counts.get(key) ?? 0;
            waiting.counted(host, run, before, st.count);
            counts.set(key, before + st.count);
            for (let i = 0; i < st.count; i++) queue.push(key);
          } else if (st.kind === 'other') {
            for (let i = 0; i < st.count; i++) queue.push(undefined);
          } else {
            for (const key of queue.splice(0, st.units)) {
              if (key !== undefined) got.set(key, (got.get(key) ?? 0) + 1);
            }
            waiting.delivered(queue.length);
          }
          check();
        }
        for (const key of queue.splice(0)) {
          if (key !== undefined) got.set(key, (got.get(key) ?? 0) + 1);
        }
        waiting.delivered(0);
        check();
        expect(waiting.waiting).toBe(0);
        expect(waiting.hosts()).toEqual([]);
      }),
    );
  });

  it('with no other loss in the session the line is exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 4 })), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.array(fc.nat(10), { maxLength: 30 }),
        (portions, takes) => {
          const waiting = new WaitingLoss();
          const units: number[] = [];
          const before = [0, 0, 0];
          for (const [host, count] of portions) {
            waiting.counted(`h${host}`, 'r', before[host] ?? 0, count);
            before[host] = (before[host] ?? 0) + count;
            for (let i = 0; i < count; i++) units.push(host);
          }
          const got = [0, 0, 0];
          for (const take of takes) {
            for (const host of units.splice(0, take)) got[host] = (got[host] ?? 0) + 1;
            waiting.delivered(units.length);
            for (const host of [0, 1, 2]) {
              const said = waiting.deliveredRuns(`h${host}`).get('r');
              expect(said ?? before[host]).toBe(got[host]);
            }
          }
        },
      ),
    );
  });
});
