// Handles the session table no longer honours: a session stopped under its
// handle, or started again and opened under a new one (MS-LREC 3.1.4.2: an
// unknown handle fails with ERROR_INVALID_HANDLE). Split from
// session-table.test.ts, which holds the rest of the table's rules.
import { describe, expect, it } from 'vitest';
import { NetrxError } from '../runtime/index.js';
import { VirtualClock } from '../testing/index.js';
import { TraceRegistry } from '../trace/index.js';
import { SessionTable } from './session-table.js';

function setup() {
  const clock = new VirtualClock(1_700_000_000_000);
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const session = table.createSession({
    name: 'Example Session',
    providers: [{ provider: 'netrx-synthetic' }],
  });
  session.start();
  return { table, session };
}

function errorOf(run: () => unknown): { code: string; number: number | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof NetrxError) return { code: error.code, number: error.number };
    throw error;
  }
  throw new Error('did not throw');
}

describe('SessionTable: stale handles', () => {
  it('a handle outlived by its session is unknown: after a Stop, and after a Start and a new Open', () => {
    // Mutation check: the guard was only "no such entry"; a stale entry (the
    // session stopped, or reopened under a new handle) must not be usable.
    const { table, session } = setup();
    const first = table.openSession('Example Session');
    session.stop();
    expect(errorOf(() => table.receiveData(first))).toEqual({
      code: 'ERROR_INVALID_HANDLE',
      number: 6,
    });
    const stale = first;
    session.start();
    const again = table.openSession('Example Session');
    expect(again).not.toBe(stale);
    expect(errorOf(() => table.receiveData(stale)).code).toBe('ERROR_INVALID_HANDLE');
    expect(errorOf(() => table.closeSession(stale)).code).toBe('ERROR_INVALID_HANDLE');
    // The new handle is untouched by the refusals of the old one.
    expect(() => table.receiveData(again)).not.toThrow();
    table.closeSession(again);
  });
});
