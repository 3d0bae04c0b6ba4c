import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * The two-namespace VXLAN lab from the research notes (link.md §3.2): the
 * kernel side in namespace A with a real `vx0` VXLAN device, netrx in
 * namespace B listening for the VXLAN datagrams, joined by a veth pair. Only
 * addresses inside these namespaces are used. The veth underlay has a
 * 1550-byte MTU, so the kernel's vx0 (and netrx, told `--mtu 1500`) carry
 * 1500-byte packets: VXLAN adds 50 bytes (outer IPv4, UDP, VXLAN and the
 * inner Ethernet header), as in the bridge lab (scripts/link-bridge-lab.sh).
 * Everything made here is
 * removed by `destroy()` (or at exit if a test never calls it), processes
 * by PID. Built on `createNamespaces`, which the other interop labs use too.
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
  /** The veth underlay's MTU: 50 bytes of VXLAN encapsulation above the segment's. */
  underlayMtu: 1550,
  /** The VXLAN segment's MTU: kernel vx0 and netrx's `--mtu`. */
  mtu: 1500,
  /** The far subnet of the `behindGateway` lab: the kernel namespace's side and the host's. */
  farGatewayIp: '10.201.0.1',
  farHostIp: '10.201.0.2',
} as const;

/**
 * What every namespace name made here starts with: `nrx`, or
 * `NETRX_NETNS_PREFIX` (so several people, or sessions, testing on one
 * machine keep their namespaces apart). Names end with this process's PID.
 */
export const NETNS_PREFIX = process.env.NETRX_NETNS_PREFIX ?? 'nrx';

/** A namespace name unique to this process: prefix, tag, role, PID. */
export function netnsName(tag: string, role: string): string {
  return `${NETNS_PREFIX}${tag}${role}${process.pid}`;
}

/** Runs a command (no shell) to completion or `timeoutMs`: its status and output. */
export function sh(args: readonly string[], timeoutMs = 20_000) {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status ?? -1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** Runs a command in network namespace `ns`. */
export function execIn(ns: string, args: readonly string[], timeoutMs?: number) {
  return sh(['ip', 'netns', 'exec', ns, ...args], timeoutMs);
}

function must(args: readonly string[]): void {
  const result = sh(args);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.trim()}`);
}

/**
 * Teardowns still owed: run by `destroy()`, or, if a test never gets there
 * (a crash, Ctrl-C, a worker ended on timeout), when the process exits or
 * is told to stop. Each runs once.
 */
const owed = new Set<() => void>();
let hooked = false;

function runOwed(): void {
  for (const teardown of [...owed]) {
    owed.delete(teardown);
    try {
      teardown();
    } catch {
      // keep going: every other teardown still runs
    }
  }
}

/** Registers `teardown` to run at exit unless the returned function runs it first. */
export function cleanupOnExit(teardown: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', runOwed);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runOwed();
        process.kill(process.pid, signal);
      });
    }
  }
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    owed.delete(run);
    teardown();
  };
  owed.add(run);
  return run;
}

/**
 * Network namespaces made for one test, removed by name (with everything in
 * them: a veth pair goes with either end, a VXLAN device with its
 * namespace) and the processes started in them killed by PID, by
 * `destroy()` or at exit (`cleanupOnExit`). Nothing outside them is touched.
 */
export interface Namespaces {
  /** Creates namespace `netnsName(tag, role)` with loopback up; returns its name. */
  add(role: string): string;
  /** A veth pair, `a` in namespace `nsA`, `b` in `nsB`, both up. */
  veth(nsA: string, a: string, nsB: string, b: string): void;
  /** `ip -n ns ...`, throwing with ip's message if it fails. */
  ip(ns: string, ...args: string[]): void;
  /** `ip addr add cidr dev dev` (extra words such as `nodad` after). */
  address(ns: string, dev: string, cidr: string, ...extra: string[]): void;
  /** A VXLAN device `dev` in `ns` (nolearning), its MAC set; left down. */
  vxlan(
    ns: string,
    dev: string,
    options: {
      vni: number;
      local: string;
      remote: string;
      via: string;
      port: number;
      mac?: string;
    },
  ): void;
  exec(ns: string, args: readonly string[], timeoutMs?: number): ReturnType<typeof sh>;
  /** Starts a long-running command in a namespace (nsenter execs, so the PID is the command's). */
  spawnIn(ns: string, args: readonly string[]): ChildProcess;
  /** Kills what `spawnIn` started and removes the namespaces, last made first; idempotent. */
  destroy(): void;
}

export function createNamespaces(tag: string): Namespaces {
  const names: string[] = [];
  const children: ChildProcess[] = [];
  const destroy = cleanupOnExit(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        child.kill('SIGKILL');
    for (const name of names.reverse()) sh(['ip', 'netns', 'del', name]);
  });
  const ip = (ns: string, ...args: string[]) => must(['ip', '-n', ns, ...args]);
  return {
    add(role) {
      const name = netnsName(tag, role);
      sh(['ip', 'netns', 'del', name]); // a leftover of this very name (a reused PID)
      must(['ip', 'netns', 'add', name]);
      names.push(name);
      ip(name, 'link', 'set', 'lo', 'up');
      return name;
    },
    veth(nsA, a, nsB, b) {
      must(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
      ip(nsA, 'link', 'set', a, 'up');
      ip(nsB, 'link', 'set', b, 'up');
    },
    ip,
    address(ns, dev, cidr, ...extra) {
      ip(ns, 'addr', 'add', cidr, 'dev', dev, ...extra);
    },
    vxlan(ns, dev, { vni, local, remote, via, port, mac }) {
      ip(
        ns,
        'link',
        'add',
        dev,
        'type',
        'vxlan',
        'id',
        String(vni),
        'local',
        local,
        'remote',
        remote,
        'dev',
        via,
        'dstport',
        String(port),
        'nolearning',
      );
      if (mac !== undefined) ip(ns, 'link', 'set', dev, 'address', mac);
    },
    exec: (ns, args, timeoutMs) => execIn(ns, args, timeoutMs),
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

export function createVxlanLab(
  tag: string,
  options: { offload?: boolean; behindGateway?: boolean } = {},
): VxlanLab {
  const spaces = createNamespaces(tag);
  try {
    const kernelNs = spaces.add('k');
    const netrxNs = spaces.add('n');
    spaces.veth(kernelNs, 'lk0', netrxNs, 'lk1');
    spaces.ip(kernelNs, 'link', 'set', 'lk0', 'mtu', String(LAB.underlayMtu));
    spaces.ip(netrxNs, 'link', 'set', 'lk1', 'mtu', String(LAB.underlayMtu));
    spaces.address(kernelNs, 'lk0', `${LAB.underlayKernel}/30`);
    spaces.address(netrxNs, 'lk1', `${LAB.underlayNetrx}/30`);
    spaces.vxlan(kernelNs, 'vx0', {
      vni: LAB.vni,
      local: LAB.underlayKernel,
      remote: LAB.underlayNetrx,
      via: 'lk0',
      port: LAB.port,
      mac: LAB.kernelMac,
    });
    // Set, not left to the kernel's lower-device arithmetic: the tests check it.
    spaces.ip(kernelNs, 'link', 'set', 'vx0', 'mtu', String(LAB.mtu));
    spaces.address(kernelNs, 'vx0', `${LAB.kernelIp}/24`);
    spaces.address(kernelNs, 'vx0', `${LAB.kernelIp6}/64`, 'nodad');
    spaces.ip(kernelNs, 'link', 'set', 'vx0', 'up');
    if (options.offload === false) {
      must(['ip', 'netns', 'exec', kernelNs, 'ethtool', '-K', 'vx0', 'tx', 'off']);
    }
    let hostNs: string | undefined;
    if (options.behindGateway === true) {
      hostNs = spaces.add('h');
      spaces.veth(kernelNs, 'hk0', hostNs, 'hk1');
      spaces.address(hostNs, 'hk1', `${LAB.farHostIp}/24`);
      spaces.ip(hostNs, 'route', 'add', 'default', 'via', LAB.farGatewayIp);
      spaces.address(kernelNs, 'hk0', `${LAB.farGatewayIp}/24`);
      // The kernel namespace routes between the far subnet and the VXLAN segment.
      must(['ip', 'netns', 'exec', kernelNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    }
    return {
      kernelNs,
      netrxNs,
      hostNs,
      exec: spaces.exec,
      spawnIn: spaces.spawnIn,
      destroy: spaces.destroy,
    };
  } catch (error) {
    spaces.destroy();
    throw error;
  }
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
