/**
 * CPU time of the calling thread (user + system, ms), from
 * /proc/thread-self/stat: `process.cpuUsage` is process-wide, and in a
 * worker-thread bench it would add the other threads' time. Event-loop
 * active time is no substitute on a loaded machine: it counts the time a
 * thread waited for a core. Granularity: one clock tick (10 ms); runs
 * last seconds. NaN where procfs is missing.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

export function threadCpuMs(): number {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return Number.NaN;
  }
  // Fields after the command name (which may hold spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
