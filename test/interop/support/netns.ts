import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * The two-namespace VXLAN lab from the research notes (link.md §3.2): the
 * kernel side in namespace A with a real `vx0` VXLAN device, netrx in
 * namespace B listening for the VXLAN datagrams, joined by a veth pair. Only
 * addresses inside these namespaces are used. Everything made here is
 * removed by `destroy()`, processes by PID.
 */
export interface VxlanLab {
  readonly kernelNs: string;
  readonly netrxNs: string;
  /**
   * With `behindGateway`: a third namespace holding a host on another subnet
   * (`LAB.farHostIp`), its veth peer in the kernel namespace, which forwards
   * between that subnet and the VXLAN segment (`LAB.kernelIp` is the gateway).
   */
  readonly hostNs: string | undefined;
  /** Runs a command in a namespace; returns its status and output. */
  exec(
    ns: string,
    args: readonly string[],
    timeoutMs?: number,
  ): { status: number; stdout: string; stderr: string };
  /** Starts a long-running command in a namespace (nsenter execs, so the PID is the command's). */
  spawnIn(ns: string, args: readonly string[]): ChildProcess;
  destroy(): void;
}

export const LAB = {
  underlayKernel: '10.99.0.1',
  underlayNetrx: '10.99.0.2',
  vni: 42,
  kernelMac: '02:00:00:00:00:01',
  netrxMac: '02:00:00:00:00:02',
  kernelIp: '10.200.0.1',
  netrxIp: '10.200.0.2',
  kernelIp6: 'fd42::1',
  netrxIp6: 'fd42::2',
  port: 4789,
  /** The far subnet of the `behindGateway` lab: the kernel namespace's side and the host's. */
  farGatewayIp: '10.201.0.1',
  farHostIp: '10.201.0.2',
} as const;

function sh(args: readonly string[], timeoutMs = 20_000) {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function must(args: readonly string[]): void {
  const result = sh(args);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.trim()}`);
}

export function createVxlanLab(
  tag: string,
  options: { offload?: boolean; behindGateway?: boolean; prefix?: string } = {},
): VxlanLab {
  // The namespace names: `${prefix}${tag}` + k/n/h + this PID; a suite of another branch picks its own prefix.
  const prefix = options.prefix ?? 'nrx';
  const kernelNs = `${prefix}${tag}k${process.pid}`;
  const netrxNs = `${prefix}${tag}n${process.pid}`;
  const hostNs = options.behindGateway === true ? `${prefix}${tag}h${process.pid}` : undefined;
  const children: ChildProcess[] = [];
  const destroy = () => {
    for (const child of children)
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    sh(['ip', 'netns', 'del', kernelNs]);
    sh(['ip', 'netns', 'del', netrxNs]);
    if (hostNs !== undefined) sh(['ip', 'netns', 'del', hostNs]);
  };
  try {
    must(['ip', 'netns', 'add', kernelNs]);
    must(['ip', 'netns', 'add', netrxNs]);
    must([
      'ip',
      'link',
      'add',
      'lk0',
      'netns',
      kernelNs,
      'type',
      'veth',
      'peer',
      'name',
      'lk1',
      'netns',
      netrxNs,
    ]);
    const inK = (...args: string[]) => must(['ip', '-n', kernelNs, ...args]);
    const inN = (...args: string[]) => must(['ip', '-n', netrxNs, ...args]);
    inK('link', 'set', 'lo', 'up');
    inN('link', 'set', 'lo', 'up');
    inK('addr', 'add', `${LAB.underlayKernel}/30`, 'dev', 'lk0');
    inK('link', 'set', 'lk0', 'up');
    inN('addr', 'add', `${LAB.underlayNetrx}/30`, 'dev', 'lk1');
    inN('link', 'set', 'lk1', 'up');
    inK(
      'link',
      'add',
      'vx0',
      'type',
      'vxlan',
      'id',
      String(LAB.vni),
      'local',
      LAB.underlayKernel,
      'remote',
      LAB.underlayNetrx,
      'dev',
      'lk0',
      'dstport',
      String(LAB.port),
      'nolearning',
    );
    inK('link', 'set', 'vx0', 'address', LAB.kernelMac);
    inK('addr', 'add', `${LAB.kernelIp}/24`, 'dev', 'vx0');
    inK('addr', 'add', `${LAB.kernelIp6}/64`, 'dev', 'vx0', 'nodad');
    inK('link', 'set', 'vx0', 'up');
    if (options.offload === false) {
      must(['ip', 'netns', 'exec', kernelNs, 'ethtool', '-K', 'vx0', 'tx', 'off']);
    }
    if (hostNs !== undefined) {
      must(['ip', 'netns', 'add', hostNs]);
      must([
        'ip',
        'link',
        'add',
        'hk0',
        'netns',
        kernelNs,
        'type',
        'veth',
        'peer',
        'name',
        'hk1',
        'netns',
        hostNs,
      ]);
      const inH = (...args: string[]) => must(['ip', '-n', hostNs, ...args]);
      inH('link', 'set', 'lo', 'up');
      inH('addr', 'add', `${LAB.farHostIp}/24`, 'dev', 'hk1');
      inH('link', 'set', 'hk1', 'up');
      inH('route', 'add', 'default', 'via', LAB.farGatewayIp);
      inK('addr', 'add', `${LAB.farGatewayIp}/24`, 'dev', 'hk0');
      inK('link', 'set', 'hk0', 'up');
      // The kernel namespace routes between the far subnet and the VXLAN segment.
      must(['ip', 'netns', 'exec', kernelNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    }
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    kernelNs,
    netrxNs,
    hostNs,
    exec: (ns, args, timeoutMs) => sh(['ip', 'netns', 'exec', ns, ...args], timeoutMs),
    spawnIn(ns, args) {
      const child = spawn('nsenter', [`--net=/run/netns/${ns}`, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      return child;
    },
    destroy,
  };
}

/** Resolves with everything printed so far once `pattern` appears on stdout; rejects on exit or timeout. */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}: ${output}${errors}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}: ${output}${errors}`));
    });
  });
}
