import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { MAX_CONFIG_BYTES, parseConfigText } from './config-file.js';
import { isIP } from 'node:net';
import { canonicalAddress, parseEndpoint, parsePrefix } from '../link/addresses.js';
import { parseMac } from '../../wire/index.js';
import { checkServices, isDemoSecret } from './config-checks.js';
import { isLoopbackAddress } from '../capture/index.js';
import { DEMO_USER } from './config-services.js';
import { captureSection, httpSection, radiusSection, syntheticSection } from './config-services.js';
import { clusterNatsSection } from './config-cluster-nats.js';
import {
  allowedSourceProblem,
  gatewayProblem,
  routeProblem,
  ownAddressProblem,
  remoteProblem,
  stationMacProblem,
  tunnelFamilyProblem,
} from './address.js';
import {
  ConfigError,
  boolean,
  field,
  integer,
  list,
  object,
  oneOf,
  parsed,
  required,
  section,
  string,
  type Infer,
  type Schema,
} from './schema.js';
import { parsePortSpec } from './port-service.js';
import { checkPcapReplays, pcapReplayList } from './config-pcap-replay.js';
import { PORT_SPECS } from '../port/spec.js';

/** `script.chat`: the script as words (a list) or the name of a chat file (a string). */
const chatScript: Schema<string | string[]> = {
  describe: 'a list of chat words or a chat file name',
  json: {
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 10_000 }],
  },
  check(value, path) {
    if (typeof value === 'string') return string().check(value, path);
    return list(string(), 10_000).check(value, path);
  },
};

/**
 * `netrx up` configuration. Every key has a default, so `{}` is a valid
 * configuration and the embedded default is exactly that; unknown keys are
 * errors. Later capabilities add their sections here.
 */
export const hostConfigSchema = object({
  http: httpSection,
  link: section(
    object({
      /** Hosts on VXLAN segments, as `netrx link vxlan` runs them. */
      vxlan: field(
        list(
          object({
            bind: required(parsed('IP:PORT', parseEndpoint)),
            remote: required(parsed('IP:PORT', parseEndpoint)),
            /** Source addresses accepted besides the remote's (any source port). */
            allowedSources: field(
              list(parsed('an IPv4 or IPv6 address', canonicalAddress), 64),
              [],
            ),
            vni: required(integer(0, 0xffffff)),
            /** The adapter's name (service, log, /metrics `adapter`); '' for vxlanVNI. */
            name: field(
              string({ pattern: /^[A-Za-z0-9_.-]{0,32}$/, describe: 'an adapter name' }),
              '',
            ),
            mac: required(parsed('a MAC address like 02:00:00:00:00:02', parseMac)),
            ipv4: field(
              list(
                parsed('an IPv4 address with a prefix (A.B.C.D/NN)', (t) => parsePrefix(t, 4)),
                16,
              ),
              [],
            ),
            ipv6: field(
              list(
                parsed('an IPv6 address with a prefix (ADDR/NN)', (t) => parsePrefix(t, 6)),
                16,
              ),
              [],
            ),
            /** Default gateways ('' for none), each on-link for one of the host's prefixes. */
            gateway: section(
              object({
                ipv4: field(
                  parsed('an IPv4 address', (t) => (t === '' || isIP(t) === 4 ? t : undefined)),
                  '',
                ),
                ipv6: field(
                  parsed('an IPv6 address (no zone)', (t) =>
                    t === '' || (isIP(t) === 6 && !t.includes('%')) ? t : undefined,
                  ),
                  '',
                ),
              }),
            ),
            /** Routes through on-link gateways: `{ destination: ADDRESS/NN, via: IP }`. */
            routes: field(
              list(
                object({
                  destination: required(string({ describe: 'a prefix ADDRESS/NN' })),
                  via: required(string({ describe: "the gateway's address" })),
                }),
                64,
              ),
              [],
            ),
            /** The 802.1Q VLAN id the stack lives on inside the segment; 0 = untagged. */
            vlan: field(integer(0, 4094), 0),
            mtu: field(integer(68, 65535), 1450),
            pcap: field(string(), ''),
            udpEcho: field(integer(0, 65535), 0),
            trustInnerChecksums: field(boolean(), false),
            /**
             * An 802.1X authenticator on this adapter: EAP-MD5 against `users`, or
             * a pass-through to the `radius.servers` (then no `users`): docs/eapol.md.
             */
            authenticator: section(
              object({
                enabled: field(boolean(), false),
                users: field(
                  list(
                    object({
                      name: required(string({ pattern: /^[^:]+$/, describe: 'a user name' })),
                      password: required(string({ sensitive: true })),
                    }),
                    4096,
                  ),
                  [],
                ),
                portControl: field(oneOf('auto', 'force-authorized', 'force-unauthorized'), 'auto'),
                quietPeriodMs: field(integer(1, 86_400_000), 60_000),
                txPeriodMs: field(integer(1, 86_400_000), 30_000),
                /** 0: never reauthenticate. */
                reAuthPeriodMs: field(integer(0, 2 ** 31 - 1), 3_600_000),
                reAuthMax: field(integer(1, 100), 2),
                maxSupplicants: field(integer(1, 65_536), 256),
                /** The RADIUS pass-through backend: tried in order, failover after `retries`. */
                radius: section(
                  object({
                    servers: field(
                      list(
                        object({
                          address: required(string()),
                          port: field(integer(1, 65535), 1812),
                          secret: required(
                            string({ pattern: /^.+$/s, describe: 'a secret', sensitive: true }),
                          ),
                        }),
                        16,
                      ),
                      [],
                    ),
                    timeoutMs: field(integer(1, 60_000), 2000),
                    retries: field(integer(0, 10), 2),
                    nasIdentifier: field(string(), 'netrx'),
                  }),
                ),
              }),
            ),
            /** An 802.1X supplicant on this adapter (EAP-MD5). */
            supplicant: section(
              object({
                enabled: field(boolean(), false),
                identity: field(string(), ''),
                password: field(string({ sensitive: true }), ''),
              }),
            ),
          }),
          16,
        ),
        [],
      ),
      /** Capture files replayed as adapters' wires (config-pcap-replay.ts). */
      pcapReplay: pcapReplayList,
    }),
  ),
  websocket: section(
    object({
      /** The WebSocket echo endpoint on the HTTP port (text stays text, binary stays binary). */
      echo: section(
        object({
          enabled: field(boolean(), true),
          path: field(
            string({ pattern: /^\/[\x21-\x7e]*$/, describe: 'a path starting with /' }),
            '/ws/echo',
          ),
          deflate: field(boolean(), true),
          maxMessage: field(integer(1, 2 ** 31), 16 * 1024 * 1024),
          /** Ping idle connections after this many ms, drop them after twice that (0: off). */
          keepAliveMs: field(integer(0, 3_600_000), 30_000),
          /** Browser origins allowed besides this host's own (no Origin: always allowed). */
          allowedOrigins: field(list(string(), 64), []),
        }),
      ),
    }),
  ),
  /** Ports whose login scripts run when the host starts (docs/host.md, docs/port.md). */
  ports: field(
    list(
      object({
        name: required(
          string({
            pattern: /^[A-Za-z0-9_.-]{1,64}$/,
            describe: 'a name of letters, digits, _ . - (at most 64)',
          }),
        ),
        port: required(parsed(PORT_SPECS, parsePortSpec)),
        /** Exactly one of: `chat` (a list of words, or a chat file) or `scp` (a .scp file). */
        script: required(
          object({
            chat: field(chatScript, [] as string | string[]),
            scp: field(string(), ''),
          }),
        ),
        /** `$USER` in a chat script, `$USERID` in a .scp one. */
        user: field(string(), ''),
        /** The environment variable holding the password (`$PASSWORD`): never in the file. */
        passwordEnv: field(
          string({
            pattern: /^([A-Za-z_][A-Za-z0-9_]*)?$/,
            describe: 'an environment variable name',
          }),
          '',
        ),
        runAt: field(oneOf('start'), 'start'),
        /** A bound on the whole script; chat's own TIMEOUT still bounds each expect. */
        timeoutSeconds: field(integer(1, 86_400), 60),
        /** chat: send each run in one write (false: chat's 10 ms per byte). */
        fast: field(boolean(), true),
        /** Match with ANSI escape sequences removed (chat expects, .scp `waitfor`). */
        stripAnsi: field(boolean(), false),
        /** chat: refuse telnet options and keep telnet commands out of the matching. */
        telnet: field(boolean(), false),
        /** chat: answer `--More--` with a space. */
        pager: field(boolean(), false),
        /** Log the script's `-v` lines (chat) or command lines (.scp). */
        verbose: field(boolean(), false),
      }),
      64,
    ),
    [],
  ),
  radius: radiusSection,
  capture: captureSection,
  /** What a host shares with others: the NATS connection (docs/cluster.md). */
  cluster: section(object({ nats: clusterNatsSection })),
  synthetic: syntheticSection,
  /** Structured log lines (pino, JSON) on standard error. */
  log: section(
    object({
      level: field(oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'info'),
    }),
  ),
  trace: section(
    object({
      /** Print every trace event at or below `level` to standard error. */
      console: field(boolean(), false),
      level: field(integer(0, 5), 4),
    }),
  ),
});

export type HostConfig = Infer<typeof hostConfigSchema>;

/** The configuration `npm start` and a bare `netrx up` run with. */
export function defaultHostConfig(): HostConfig {
  return hostConfigSchema.defaults();
}

/** The adapter (and service) name of a link.vxlan entry. */
export function vxlanAdapterName(vxlan: { readonly vni: number; readonly name: string }): string {
  return vxlan.name === '' ? `vxlan${vxlan.vni}` : vxlan.name;
}

/** Validates an already-parsed configuration value; throws ConfigError naming the bad key. */
export function validateHostConfig(value: unknown): HostConfig {
  const config = hostConfigSchema.check(value ?? {}, '');
  // Checks across keys, as `netrx link vxlan` makes them: refused here, not after `up` started.
  // An adapter's name is its service's and its /metrics series': one name
  // once (review D4). Two hosts on one segment share a VNI: name one.
  const adapters = new Map<string, number>();
  config.link.vxlan.forEach((vxlan, index) => {
    const where = `link.vxlan[${index}]`;
    const adapter = vxlanAdapterName(vxlan);
    const first = adapters.get(adapter);
    if (first !== undefined)
      throw new ConfigError(
        vxlan.name === '' ? `${where}.vni` : `${where}.name`,
        `adapter ${adapter} is already link.vxlan[${first}]; give this entry another vni or its own name`,
      );
    adapters.set(adapter, index);
    const macProblem = stationMacProblem(vxlan.mac);
    if (macProblem !== undefined) throw new ConfigError(`${where}.mac`, macProblem);
    const familyProblem = tunnelFamilyProblem(vxlan.bind, vxlan.remote);
    if (familyProblem !== undefined) throw new ConfigError(`${where}.remote`, familyProblem);
    const remote = remoteProblem(vxlan.remote);
    if (remote !== undefined) throw new ConfigError(`${where}.remote`, remote);
    vxlan.allowedSources.forEach((source, i) => {
      const problem = allowedSourceProblem(source, vxlan.bind);
      if (problem !== undefined) throw new ConfigError(`${where}.allowedSources[${i}]`, problem);
    });
    for (const family of ['ipv4', 'ipv6'] as const) {
      vxlan[family].forEach((prefix, i) => {
        const problem = ownAddressProblem(prefix);
        if (problem !== undefined)
          throw new ConfigError(`${where}.${family}[${i}]`, `${prefix.address} ${problem}`);
      });
      const gateway = vxlan.gateway[family];
      const problem =
        gateway === '' ? undefined : gatewayProblem(gateway, [...vxlan.ipv4, ...vxlan.ipv6]);
      if (problem !== undefined) throw new ConfigError(`${where}.gateway.${family}`, problem);
    }
    vxlan.routes.forEach((route, i) => {
      const problem = routeProblem(route, [...vxlan.ipv4, ...vxlan.ipv6]);
      if (problem !== undefined) throw new ConfigError(`${where}.routes[${i}]`, problem);
    });
    const authenticator = vxlan.authenticator;
    const radiusServers = authenticator.radius.servers;
    if (
      authenticator.enabled &&
      authenticator.portControl === 'auto' &&
      authenticator.users.length === 0 &&
      radiusServers.length === 0
    )
      throw new ConfigError(
        `${where}.authenticator.users`,
        'an enabled authenticator needs at least one user (or radius.servers)',
      );
    if (radiusServers.length > 0 && authenticator.users.length > 0)
      throw new ConfigError(
        `${where}.authenticator.users`,
        'with radius.servers the RADIUS server decides: give no users',
      );
    radiusServers.forEach((server, i) => {
      if (isIP(server.address) === 0)
        throw new ConfigError(
          `${where}.authenticator.radius.servers[${i}].address`,
          `not an IP address: ${JSON.stringify(server.address)}`,
        );
      if (!isLoopbackAddress(server.address) && isDemoSecret(server.secret))
        throw new ConfigError(
          `${where}.authenticator.radius.servers[${i}].secret`,
          `the demo secret is refused for a non-loopback RADIUS server (${server.address})`,
        );
    });
    if (new Set(radiusServers.map((server) => isIP(server.address))).size > 1)
      throw new ConfigError(
        `${where}.authenticator.radius.servers`,
        'give all IPv4 or all IPv6 addresses (one socket)',
      );
    const names = new Set<string>();
    const publicBind = !isLoopbackAddress(vxlan.bind.address);
    authenticator.users.forEach((user, i) => {
      if (names.has(user.name))
        throw new ConfigError(
          `${where}.authenticator.users[${i}].name`,
          `${JSON.stringify(user.name)} is listed twice`,
        );
      names.add(user.name);
      // A real network port authorising the demo user (review S3).
      if (authenticator.enabled && publicBind && user.name === DEMO_USER.name)
        throw new ConfigError(
          `${where}.authenticator.users[${i}].name`,
          `the demo user ${DEMO_USER.name} is refused on a non-loopback bind (${vxlan.bind.address})`,
        );
    });
    if (vxlan.supplicant.enabled && vxlan.supplicant.identity === '')
      throw new ConfigError(
        `${where}.supplicant.identity`,
        'an enabled supplicant needs an identity',
      );
  });
  const portNames = new Set<string>();
  config.ports.forEach((port, i) => {
    const where = `ports[${i}]`;
    if (portNames.has(port.name))
      throw new ConfigError(`${where}.name`, `${JSON.stringify(port.name)} is listed twice`);
    portNames.add(port.name);
    const { chat, scp } = port.script;
    const hasChat = chat.length > 0;
    if (hasChat === (scp !== ''))
      throw new ConfigError(
        `${where}.script`,
        hasChat
          ? 'give chat or scp, not both'
          : 'needs chat (a list of words or a chat file) or scp (a .scp file)',
      );
  });
  checkPcapReplays(
    config.link.pcapReplay,
    new Map([...adapters].map(([name, index]) => [name, `link.vxlan[${index}]`])),
  );
  checkServices(config, value);
  return config;
}

/**
 * Reads, parses (JSON for .json, YAML otherwise: YAML is a superset of JSON)
 * and validates a configuration file. Every failure is a ConfigError whose
 * message is one line starting with the file name.
 */
export async function loadHostConfig(file: string): Promise<HostConfig> {
  let text: string;
  try {
    // The size first: a huge file (or a device) is refused before it is read.
    const size = (await stat(file)).size;
    if (size > MAX_CONFIG_BYTES)
      throw new ConfigError(
        file,
        `is ${size} bytes: a configuration is at most ${MAX_CONFIG_BYTES}`,
      );
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      file,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot read: ${code ?? String(error)}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseConfigText(text, extname(file).toLowerCase() === '.json');
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(file, error.message);
    throw error;
  }
  try {
    return validateHostConfig(parsed);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(file, error.message);
    throw error;
  }
}

export { ConfigError };
