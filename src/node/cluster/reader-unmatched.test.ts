/**
 * review16c M15: "the reader acks a message of an unmatched host" survived
 * every suite. Against the ports netrx ships it is equivalent: a host's
 * consumer has the literal filter `netrx.<session>.<host>.>` and is
 * claimed only for a host the pattern matches, and a durable found with
 * another filter is made again (consumer-config.ts, N4), so no such
 * message reaches the reader. It is not equivalent against ConsumePort's
 * contract, which promises no filtering: a port that hands one over (a
 * stale consumer, another implementation) would have the reader delete
 * another reader's event off the work queue. This port does; the mutant
 * applied by hand (`message.ack()` in the unmatched branch) failed here.
 */
import { describe, expect, it } from 'vitest';
import { SessionTable } from '../../capture/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import type { ConsumePort, ConsumeSpec, StreamMessage } from './ports.js';
import { StreamSessionSource } from './reader.js';
import { settle } from './test-kit.js';

/** A port whose host consumers hand over whatever the test gives them. */
class HandPort implements ConsumePort {
  readonly bound = new Map<string, (message: StreamMessage) => void>();

  consume(spec: ConsumeSpec, onMessage: (message: StreamMessage) => void): { stop(): void } {
    this.bound.set(spec.durable, onMessage);
    spec.onBound?.();
    return { stop: () => this.bound.delete(spec.durable) };
  }

  streamHosts(): Promise<readonly string[]> {
    return Promise.resolve(['lab-1']);
  }
}

describe('a message of a host the pattern does not match (review16c M15)', () => {
  it('is never acked (an ack deletes another reader’s event) and is counted filtered', async () => {
    const clock = new VirtualClock();
    const port = new HandPort();
    const source = new StreamSessionSource({
      port,
      session: 'lab',
      hosts: 'lab-*',
      durable: 'netrx-reader-lab-m15',
      clock,
    });
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    table.createSession({ name: 'lab', providers: [], source, limits: { timerMs: 100 } }).start();
    table.openSession('lab');
    await settle(); // the glob's discovery claims lab-1
    const handOver = port.bound.get('netrx-reader-lab-m15-lab-1');
    if (handOver === undefined) throw new Error('lab-1 not claimed');
    const answers: string[] = [];
    handOver({
      subject: 'netrx.lab.prod-1.netrx-synthetic',
      data: new Uint8Array(0),
      seq: 7,
      ack: () => answers.push('ack'),
      nak: () => answers.push('nak'),
    });
    await settle();
    expect(answers).toEqual([]);
    expect(source.stats()).toMatchObject({ messages: 1, filtered: 1, malformed: 0 });
  });
});
