import { describe, expect, it } from 'vitest';
import { intact, npmChain, processInfo } from './parent-watch.js';

/** A process table: pid -> [name, ppid]. */
function table(rows: Record<number, [string, number]>) {
  return (pid: number) => {
    const row = rows[pid];
    return row === undefined ? undefined : { name: row[0], ppid: row[1] };
  };
}

describe('npmChain: what netrx watches', () => {
  const rows: Record<number, [string, number]> = {
    1: ['systemd', 0],
    10: ['bash', 1],
    20: ['npm start', 10],
    30: ['sh', 20],
    31: ['npm exec netrx ', 10],
    32: ['sh', 31],
    40: ['nohup-parent', 1],
  };
  const info = table(rows);

  it('npm directly (exec), npm through sh -c, npx through sh -c', () => {
    expect(npmChain(20, info)).toEqual([20]);
    expect(npmChain(30, info)).toEqual([30, 20]);
    expect(npmChain(32, info)).toEqual([32, 31]);
  });

  it('nothing when no npm started us: a shell (nohup, setsid), init, or a gone parent', () => {
    expect(npmChain(10, info)).toEqual([]);
    expect(npmChain(1, info)).toEqual([]);
    expect(npmChain(40, info)).toEqual([]);
    expect(npmChain(99, info)).toEqual([]);
  });

  it('a chain breaks when any link is gone or re-parented', () => {
    expect(intact([30, 20], () => 30, info)).toBe(true);
    // npm died of SIGHUP: sh is re-parented to init.
    expect(intact([30, 20], () => 30, table({ ...rows, 30: ['sh', 1] }))).toBe(false);
    // sh died of SIGTERM: we are re-parented.
    expect(intact([30, 20], () => 1, info)).toBe(false);
  });

  it('reads this process from /proc (a name with spaces and parentheses is whole)', () => {
    const self = processInfo(process.pid);
    expect(self?.ppid).toBe(process.ppid);
    expect(processInfo(2 ** 22 + 1)).toBeUndefined();
  });
});
