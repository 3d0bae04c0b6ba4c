/**
 * What bench/eap reads about a server process from procfs: CPU time
 * (utime+stime), time its threads waited for a CPU (schedstat), RSS, and the
 * kernel's receive-buffer drops on its UDP port.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS =
  1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100);

/** Datagrams the kernel dropped on the UDP sockets bound to `port` (receive buffer full). */
export function kernelDrops(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.endsWith(hexPort)) drops += Number(fields[12] ?? 0);
  }
  return drops;
}

export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14, 15)
}

/** Per thread, the time spent runnable but waiting for a CPU (procfs schedstat), in ms. */
export function runQueueMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ');
      out.set(task, Number(fields[1] ?? 0) / 1e6);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * Waiting time of the threads alive at the end, since `before` (a thread born
 * meanwhile counts from its start; one that ended is not counted: FreeRADIUS
 * grows and shrinks its pool).
 */
export function waitedMs(pid: number, before: Map<string, number>): number {
  let ms = 0;
  for (const [task, now] of runQueueMs(pid)) ms += now - (before.get(task) ?? 0);
  return ms;
}

export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}
