/**
 * Third outside review of issue 16 (review16c): capture fan-in defects
 * that need no server (the reader identity, the fake JetStream). Tests
 * named FAILS ON MAIN are `it.fails` (each seen failing on main c5ee538
 * with `.fails` removed); drop `.fails` once fixed.
 */
import { describe, expect, it } from 'vitest';
import { readerIdFromHostName } from '../../src/node/cluster/index.js';

describe('review16c N1: the default reader id of two machines', () => {
  // Machines named like this are the common case in a fleet: a prefix, then a number.
  const fleets: readonly (readonly [string, string])[] = [
    ['capture-server-01.lab.example', 'capture-server-02.lab.example'],
    ['netrx-dashboard-eu1', 'netrx-dashboard-eu2'],
    ['lab1.site-a.example', 'lab1.site-b.example'],
  ];

  it('two machines with different host names get different reader ids (so two durables; failed on 2b0d67a)', () => {
    const ids = fleets.map(([x, y]) => [readerIdFromHostName(x), readerIdFromHostName(y)]);
    console.info(`N1: ${ids.map(([x, y]) => `${x} / ${y}`).join(', ')}`);
    for (const [x, y] of ids) expect(x).not.toBe(y);
  });
});
