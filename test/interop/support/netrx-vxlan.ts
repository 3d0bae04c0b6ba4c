import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { LAB, type VxlanLab } from './netns.js';

/** The built CLI the interop suites run (`npm run build`). */
export const NETRX_MAIN = join(
  resolve(import.meta.dirname, '..', '..', '..'),
  'dist',
  'cli',
  'main.js',
);

/**
 * `netrx link vxlan` in the lab's netrx namespace, as the VTEP facing the
 * kernel's vx0 (the lab's underlay, VNI, MAC, IPv4 address and 1500-byte
 * segment MTU), with `extra` arguments after those.
 */
export function spawnNetrxVxlan(lab: VxlanLab, extra: readonly string[]): ChildProcess {
  return lab.spawnIn(lab.netrxNs, [
    process.execPath,
    NETRX_MAIN,
    'link',
    'vxlan',
    '--bind',
    `${LAB.underlayNetrx}:${LAB.port}`,
    '--remote',
    `${LAB.underlayKernel}:${LAB.port}`,
    '--vni',
    String(LAB.vni),
    '--mac',
    LAB.netrxMac,
    '--ip',
    `${LAB.netrxIp}/24`,
    '--mtu',
    String(LAB.mtu),
    ...extra,
  ]);
}

/** Whether the kernel namespace's pings to netrx's IPv4 address come back (two, 1 s each). */
export function kernelPingsNetrx(lab: VxlanLab): boolean {
  const result = lab.exec(lab.kernelNs, ['ping', '-c', '2', '-i', '0.2', '-W', '1', LAB.netrxIp]);
  return !/ 0 received/.test(result.stdout) && /\d+ received/.test(result.stdout);
}
