import {
  canonicalAddress,
  parseEndpoint,
  parsePrefix,
  startVxlanHost,
  type UdpEndpoint,
} from '../../node/link/index.js';
import { isIP } from 'node:net';
import {
  allowedSourceProblem,
  gatewayProblem,
  routeProblem,
  ownAddressProblem,
  remoteProblem,
  stationMacProblem,
  tunnelFamilyProblem,
} from '../../node/host/address.js';
import { parseMac } from '../../wire/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { errorLine } from '../files.js';

export const linkVxlanCommand: CliCommand = {
  path: ['link', 'vxlan'],
  summary:
    'a host on a VXLAN segment: answers ARP, ping and ping -6; logs and records what it sees',
  usage:
    'link vxlan --bind IP:PORT --remote IP:PORT [--allow-source IP]... --vni N --mac MAC --ip A.B.C.D/NN [--ip6 ADDR/NN] [--gateway IP]... [--route "PREFIX/LEN via IP"]... [--vlan ID] [--mtu N] [--pcap FILE] [--udp-echo PORT] [--8021x-authenticator] [--user NAME:PASSWORD]... [--radius HOST:PORT]... [--radius-secret S] [--8021x-supplicant NAME:PASSWORD] [--trust-checksums] [--verbose]',
  options: {
    bind: { type: 'string' },
    remote: { type: 'string' },
    'allow-source': { type: 'string', multiple: true },
    vni: { type: 'string' },
    mac: { type: 'string' },
    ip: { type: 'string', multiple: true },
    ip6: { type: 'string', multiple: true },
    gateway: { type: 'string', multiple: true },
    route: { type: 'string', multiple: true },
    vlan: { type: 'string' },
    mtu: { type: 'string' },
    pcap: { type: 'string' },
    'udp-echo': { type: 'string' },
    'trust-checksums': { type: 'boolean' },
    '8021x-authenticator': { type: 'boolean' },
    user: { type: 'string', multiple: true },
    radius: { type: 'string', multiple: true },
    'radius-secret': { type: 'string' },
    '8021x-supplicant': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  },
  async run(values, _positionals, io) {
    const bind = endpoint('--bind', values['bind']);
    const remote = endpoint('--remote', values['remote']);
    // The --remote's address is always allowed; these are further VTEPs whose datagrams count.
    const allowedSources = list(values['allow-source']).map((text) => {
      const address = canonicalAddress(text);
      if (address === undefined)
        throw new UsageError(`--allow-source: not an IP address: ${JSON.stringify(text)}`);
      return address;
    });
    const vni = integer('--vni', values['vni'], 0, 0xffffff);
    const macText = required('--mac', values['mac']);
    const mac = parseMac(macText);
    if (mac === undefined)
      throw new UsageError(`--mac: not a MAC address: ${JSON.stringify(macText)}`);
    // Refused before anything starts: either would start, print `ready` and then fail.
    const macProblem = stationMacProblem(mac);
    if (macProblem !== undefined) throw new UsageError(`--mac: ${macText} ${macProblem}`);
    const familyProblem = tunnelFamilyProblem(bind, remote);
    if (familyProblem !== undefined) throw new UsageError(`--bind/--remote: ${familyProblem}`);
    const remoteTrouble = remoteProblem(remote);
    if (remoteTrouble !== undefined) throw new UsageError(`--remote: ${remoteTrouble}`);
    for (const source of allowedSources) {
      const problem = allowedSourceProblem(source, bind);
      if (problem !== undefined) throw new UsageError(`--allow-source: ${problem}`);
    }
    const ipv4 = list(values['ip']).map((text) => prefix('--ip', text, 4));
    const ipv6 = list(values['ip6']).map((text) => prefix('--ip6', text, 6));
    for (const [flag, prefixes] of [
      ['--ip', ipv4],
      ['--ip6', ipv6],
    ] as const) {
      for (const own of prefixes) {
        const problem = ownAddressProblem(own);
        if (problem !== undefined) throw new UsageError(`${flag}: ${own.address} ${problem}`);
      }
    }
    if (ipv4.length === 0) throw new UsageError('missing --ip A.B.C.D/NN');
    const gateway = gateways(list(values['gateway']), [...ipv4, ...ipv6]);
    const routes = list(values['route']).map((text) => route(text, [...ipv4, ...ipv6]));
    // The 802.1Q VLAN the host lives on inside the segment: it sees only that VLAN's frames and tags what it sends.
    const vlan =
      values['vlan'] === undefined ? undefined : integer('--vlan', values['vlan'], 1, 4094);
    // The inner MTU: 1450 fits a 1500-byte underlay (VXLAN adds 50 bytes); 1500 needs a 1550-byte one.
    const mtu =
      values['mtu'] === undefined ? undefined : integer('--mtu', values['mtu'], 68, 65535);
    const udpEcho =
      values['udp-echo'] === undefined
        ? undefined
        : integer('--udp-echo', values['udp-echo'], 1, 65535);
    const ieee8021x = dot1x(values);
    let host;
    try {
      host = await startVxlanHost({
        bind,
        remote,
        allowedSources,
        vni,
        mac,
        ipv4,
        ipv6,
        ...(gateway.ipv4 === undefined && gateway.ipv6 === undefined ? {} : { gateway }),
        ...(routes.length === 0 ? {} : { routes }),
        ...(vlan === undefined ? {} : { vlan }),
        ...(mtu === undefined ? {} : { mtu }),
        ...(typeof values['pcap'] === 'string'
          ? {
              pcap: values['pcap'],
              // The host runs on without its capture; say so once, on stderr.
              onCaptureError: (error: Error) =>
                io.err(`netrx link vxlan: ${error.message}; the capture stopped`),
            }
          : {}),
        ...(udpEcho === undefined ? {} : { udpEcho }),
        trustInnerChecksums: values['trust-checksums'] === true,
        ...(values['verbose'] === true ? { log: io.out } : {}),
        ...(ieee8021x === undefined ? {} : { ieee8021x: { ...ieee8021x, log: io.out } }),
      });
    } catch (error) {
      io.err(`netrx link vxlan: ${errorLine(error)}`);
      return 1;
    }
    io.out(
      `vxlan vni ${vni} on ${host.bound.address}:${host.bound.port}, peer ${remote.address}:${remote.port} (allowed sources ${host.link.allowedSources().join(' ')}), mac ${macText}, ${[...ipv4, ...ipv6].map((a) => `${a.address}/${a.prefixLength}`).join(' ')}`,
    );
    io.out('ready');
    await io.untilStopped();
    let captureFailed = false;
    try {
      await host.stop();
    } catch {
      captureFailed = true; // reported when it happened
    }
    const capture = host.capture?.stats();
    io.out(
      JSON.stringify({
        stopped: true,
        ...host.link.stats(),
        ...(capture === undefined ? {} : { capture }),
        ...(host.ieee8021x === undefined ? {} : { ieee8021x: host.ieee8021x.stats() }),
      }),
    );
    return captureFailed ? 1 : 0;
  },
};

/** `--8021x-authenticator` with its `--user`s (or `--radius` servers), and `--8021x-supplicant NAME:PASSWORD`. */
function dot1x(values: Record<string, unknown>):
  | {
      authenticator?: {
        users: { name: string; password: string }[];
        radius?: { servers: { address: string; port: number; secret: string }[] };
      };
      supplicant?: { identity: string; password: string };
    }
  | undefined {
  const users = list(values['user']).map((spec) => user('--user', spec));
  const radiusServers = list(values['radius']);
  const secret = values['radius-secret'];
  const authenticator = values['8021x-authenticator'] === true;
  if (users.length > 0 && !authenticator)
    throw new UsageError('--user: only with --8021x-authenticator');
  if (radiusServers.length > 0 && !authenticator)
    throw new UsageError('--radius: only with --8021x-authenticator');
  if (typeof secret === 'string' && radiusServers.length === 0)
    throw new UsageError('--radius-secret: only with --radius');
  if (radiusServers.length > 0 && users.length > 0)
    throw new UsageError('--radius: the RADIUS server decides; give no --user with it');
  if (radiusServers.length > 0 && (typeof secret !== 'string' || secret === ''))
    throw new UsageError('--radius: give the shared secret with --radius-secret S');
  if (authenticator && users.length === 0 && radiusServers.length === 0)
    throw new UsageError(
      '--8021x-authenticator: give at least one --user NAME:PASSWORD (or --radius HOST:PORT)',
    );
  const names = new Set<string>();
  for (const { name } of users) {
    if (names.has(name)) throw new UsageError(`--user: ${JSON.stringify(name)} given twice`);
    names.add(name);
  }
  const radius =
    radiusServers.length === 0
      ? undefined
      : {
          servers: radiusServers.map((text) => ({
            ...endpoint('--radius', text),
            secret: secret as string,
          })),
        };
  const supplicantSpec = values['8021x-supplicant'];
  const supplicant =
    typeof supplicantSpec === 'string' ? user('--8021x-supplicant', supplicantSpec) : undefined;
  if (!authenticator && supplicant === undefined) return undefined;
  return {
    ...(authenticator
      ? { authenticator: { users, ...(radius === undefined ? {} : { radius }) } }
      : {}),
    ...(supplicant === undefined
      ? {}
      : { supplicant: { identity: supplicant.name, password: supplicant.password } }),
  };
}

function user(flag: string, spec: string): { name: string; password: string } {
  const at = spec.indexOf(':');
  if (at <= 0) throw new UsageError(`${flag}: expected NAME:PASSWORD, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, at), password: spec.slice(at + 1) };
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/** `--gateway` values: at most one per family, each on-link for one of the host's prefixes. */
function gateways(
  texts: readonly string[],
  own: readonly { readonly address: string; readonly prefixLength: number }[],
): { ipv4?: string; ipv6?: string } {
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const text of texts) {
    const family = text.includes('%') ? 0 : isIP(text);
    if (family === 0)
      throw new UsageError(`--gateway: not an IPv4 or IPv6 address: ${JSON.stringify(text)}`);
    const key = family === 4 ? 'ipv4' : 'ipv6';
    if (out[key] !== undefined)
      throw new UsageError(`--gateway: more than one IPv${family} gateway (${out[key]}, ${text})`);
    const problem = gatewayProblem(text, own);
    if (problem !== undefined) throw new UsageError(`--gateway: ${problem}`);
    out[key] = text;
  }
  return out;
}

/** One `--route 'PREFIX/LEN via IP'` (one argument, as `ip route` writes it), checked on-link. */
function route(
  text: string,
  own: readonly { readonly address: string; readonly prefixLength: number }[],
): { destination: string; via: string } {
  const match = /^\s*(\S+)\s+via\s+(\S+)\s*$/.exec(text);
  if (match === null)
    throw new UsageError(`--route: expected 'PREFIX/LEN via IP', got ${JSON.stringify(text)}`);
  const parsed = { destination: match[1] ?? '', via: match[2] ?? '' };
  const problem = routeProblem(parsed, own);
  if (problem !== undefined) throw new UsageError(`--route: ${problem}`);
  return parsed;
}

function endpoint(flag: string, value: string | boolean | undefined): UdpEndpoint {
  const text = required(flag, value);
  const parsed = parseEndpoint(text);
  if (parsed === undefined) {
    const port = /:(\d+)$/.exec(text)?.[1];
    if (port !== undefined && parseEndpoint(`${text.slice(0, -port.length)}1`) !== undefined)
      throw new UsageError(`${flag}: the port must be from 1 to 65535, got ${port}`);
    throw new UsageError(`${flag}: expected IP:PORT (or [IPv6]:PORT), got ${JSON.stringify(text)}`);
  }
  return parsed;
}

function prefix(
  flag: string,
  text: string,
  family: 4 | 6,
): { address: string; prefixLength: number } {
  const parsed = parsePrefix(text, family);
  if (parsed === undefined) {
    throw new UsageError(
      `${flag}: expected an IPv${family} address with a prefix length (ADDR/NN), got ${JSON.stringify(text)}`,
    );
  }
  return parsed;
}
