/**
 * The final buffer of a closing session is delivered too: a source's hold
 * hears `delivered` for it after `close`, so a source that waits for its
 * loss to reach a client (the JetStream reader's loss floors) knows it did.
 * Before, the hold was closed first and never told, and the next holder of
 * the host counted that loss a second time
 * (test/property/nats-loss-handover.property.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../testing/index.js';
import { TraceRegistry } from '../trace/index.js';
import type { SessionSink, SessionSource } from './event-session.js';
import { SessionTable } from './session-table.js';

function recordingSource() {
  const calls: string[] = [];
  let sink: SessionSink | undefined;
  const source: SessionSource = {
    open(opened) {
      sink = opened;
      calls.push('open');
      return {
        close: () => {
          calls.push('close');
        },
        delivered: (events, lostWaiting) => {
          calls.push(`delivered ${events} ${lostWaiting}`);
        },
      };
    },
  };
  return { source, calls, lose: (n: number) => sink?.lost(n) };
}

describe('a closing session tells its source about the final buffer', () => {
  it('calls delivered after close when the close completes a pending receive with the loss', () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const { source, calls, lose } = recordingSource();
    const session = table.createSession({
      name: 'lab',
      providers: [],
      source,
      limits: { timerMs: 100 },
    });
    session.start();
    const handle = table.openSession('lab');
    lose(3);
    const receive = table.receiveData(handle);
    expect(receive.result).toBeUndefined();
    table.closeSession(handle);
    expect(receive.result).toMatchObject({ status: 'data', meta: { lost: 3, reason: 'closed' } });
    expect(calls).toEqual(['open', 'close', 'delivered 0 0']);
  });

  it('does not call delivered when no receive is pending at the close', () => {
    const clock = new VirtualClock(1_700_000_000_000);
    const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
    const { source, calls, lose } = recordingSource();
    const session = table.createSession({ name: 'lab', providers: [], source });
    session.start();
    const handle = table.openSession('lab');
    lose(2);
    table.closeSession(handle);
    expect(calls).toEqual(['open', 'close']);
  });
});
