/**
 * `netrx capture serve --link-vxlan SPEC`: a netrx host on a VXLAN segment
 * (what `netrx link vxlan` runs) whose adapter the packet-capture provider
 * taps, so the served session carries the frames that host receives and
 * sends. SPEC is one argument, `key=value` pairs joined by commas:
 *
 *   bind=IP:PORT,remote=IP:PORT,vni=N,mac=MAC,ip=A.B.C.D/NN[,udp-echo=PORT][,pcap=FILE][,mtu=N]
 *
 * `pcap=FILE` also records every frame whole, as `link vxlan --pcap` does
 * (the host's own record, to compare a remote capture with); `mtu=N` sets the
 * adapter MTU with `link vxlan --mtu`'s bounds. Each link is
 * interface index 1, 2, … in the packet events.
 */
import { openPacketCaptureProvider } from '../../link/index.js';
import {
  parseEndpoint,
  parsePrefix,
  startVxlanHost,
  type VxlanHost,
  type VxlanHostOptions,
} from '../../node/link/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { parseMac } from '../../wire/index.js';
import { integer } from '../args.js';
import { UsageError } from '../command.js';

const KEYS = ['bind', 'remote', 'vni', 'mac', 'ip', 'udp-echo', 'pcap', 'mtu'] as const;

export function parseLinkVxlan(spec: string): VxlanHostOptions {
  const flag = '--link-vxlan';
  const values = new Map<string, string>();
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    if (at <= 0 || !(KEYS as readonly string[]).includes(key)) {
      throw new UsageError(
        `${flag}: expected key=value pairs (${KEYS.join(', ')}), got ${JSON.stringify(part)}`,
      );
    }
    if (values.has(key)) throw new UsageError(`${flag}: ${key} given twice`);
    values.set(key, part.slice(at + 1).trim());
  }
  const need = (key: string): string => {
    const value = values.get(key);
    if (value === undefined || value === '') throw new UsageError(`${flag}: missing ${key}=`);
    return value;
  };
  const endpoint = (key: string) => {
    const parsed = parseEndpoint(need(key));
    if (parsed === undefined)
      throw new UsageError(`${flag}: ${key}= expects IP:PORT, got ${JSON.stringify(need(key))}`);
    return parsed;
  };
  const bind = endpoint('bind');
  const remote = endpoint('remote');
  const vni = integer(`${flag} vni=`, need('vni'), 0, 0xffffff);
  const mac = parseMac(need('mac'));
  if (mac === undefined) throw new UsageError(`${flag}: mac= is not a MAC address`);
  const ip = parsePrefix(need('ip'), 4);
  if (ip === undefined) throw new UsageError(`${flag}: ip= expects A.B.C.D/NN`);
  const echo = values.get('udp-echo');
  const pcap = values.get('pcap');
  const mtu = values.get('mtu');
  return {
    bind,
    remote,
    vni,
    mac,
    ipv4: [ip],
    ipv6: [],
    ...(echo === undefined ? {} : { udpEcho: integer(`${flag} udp-echo=`, echo, 1, 65535) }),
    ...(pcap === undefined || pcap === '' ? {} : { pcap }),
    ...(mtu === undefined ? {} : { mtu: integer(`${flag} mtu=`, mtu, 68, 65535) }),
  };
}

/** Starts the hosts and taps their adapters; `stop` undoes both. */
export async function startCaptureLinks(
  specs: readonly VxlanHostOptions[],
  registry: TraceRegistry,
): Promise<{ stop(): Promise<void> }> {
  const provider = openPacketCaptureProvider({ registry });
  const hosts: VxlanHost[] = [];
  const stop = async () => {
    provider.close();
    for (const host of hosts.splice(0)) await host.stop().catch(() => undefined);
  };
  try {
    for (const [i, spec] of specs.entries()) {
      const host = await startVxlanHost({ ...spec, trace: registry });
      hosts.push(host);
      provider.attach(host.link.adapter, i + 1);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
