import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, defaultHostConfig, loadHostConfig, validateHostConfig } from './config.js';
import { createDemoCertificates } from '../certs/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-config-'));
const certs = createDemoCertificates();
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(path: string): Promise<string> {
  try {
    await loadHostConfig(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('host configuration: ports', () => {
  const port = (entry: Record<string, unknown>) => () =>
    validateHostConfig({
      ports: [
        { name: 'console', port: 'tcp:127.0.0.1:2323', script: { chat: ['ogin:', 'x'] }, ...entry },
      ],
    });

  it('fills defaults for a port entry', () => {
    expect(port({})().ports).toEqual([
      {
        name: 'console',
        port: 'tcp:127.0.0.1:2323',
        script: { chat: ['ogin:', 'x'], scp: '' },
        user: '',
        passwordEnv: '',
        runAt: 'start',
        timeoutSeconds: 60,
        fast: true,
        stripAnsi: false,
        telnet: false,
        pager: false,
        verbose: false,
      },
    ]);
    for (const spec of [
      'tls:[::1]:992',
      'serial:/dev/ttyS0@115200',
      'serialport:/dev/ttyUSB0@9600',
      'pty:ssh -tt console',
      'exec:telnet host',
    ])
      expect(port({ port: spec })().ports[0]?.port).toBe(spec);
    // A chat file must be there (review D5).
    const chat = file('x.chat', 'ogin: x\n');
    expect(port({ script: { chat } })().ports[0]?.script.chat).toBe(chat);
  });

  it('names the bad key in one clear error', () => {
    expect(port({ prot: 'x' })).toThrow(
      /^ports\[0\]\.prot: unknown key \(did you mean "port"\?\); expected one of: name, port, script, /,
    );
    expect(port({ port: 'telnet:host:23' })).toThrow(
      'ports[0].port: expected tcp:HOST:PORT, tls:HOST:PORT, serial:PATH[@BAUD], serialport:PATH[@BAUD], pty:COMMAND or exec:COMMAND, got "telnet:host:23"',
    );
    expect(port({ port: 'tcp:host:70000' })).toThrow(/^ports\[0\]\.port: expected tcp:/);
    expect(port({ port: 'stdio' })).toThrow(/^ports\[0\]\.port: expected tcp:/);
    expect(port({ script: {} })).toThrow(
      'ports[0].script: needs chat (a list of words or a chat file) or scp (a .scp file)',
    );
    expect(port({ script: { chat: ['a'], scp: 'x.scp' } })).toThrow(
      'ports[0].script: give chat or scp, not both',
    );
    expect(port({ script: { chat: 7 } })).toThrow('ports[0].script.chat: expected a list, got 7');
    expect(port({ script: { chat: ['a', 1] } })).toThrow(
      'ports[0].script.chat[1]: expected a string, got 1',
    );
    expect(port({ script: { expect: [] } })).toThrow(/^ports\[0\]\.script\.expect: unknown key/);
    expect(port({ password: 'secret' })).toThrow(
      /^ports\[0\]\.password: unknown key; expected one of: .*passwordEnv/,
    );
    expect(port({ passwordEnv: 'NOT-A-NAME' })).toThrow(
      'ports[0].passwordEnv: expected an environment variable name, got "NOT-A-NAME"',
    );
    expect(port({ runAt: 'later' })).toThrow(
      'ports[0].runAt: expected one of "start", got "later"',
    );
    expect(port({ timeoutSeconds: 0 })).toThrow(/^ports\[0\]\.timeoutSeconds: expected an integer/);
    expect(port({ name: 'a b' })).toThrow(/^ports\[0\]\.name: expected a name of letters/);
    expect(() =>
      validateHostConfig({ ports: [{ port: 'tcp:h:1', script: { scp: 'x' } }] }),
    ).toThrow(/^ports\[0\]\.name: is required/);
    const twice = { name: 'a', port: 'tcp:h:1', script: { scp: 'x' } };
    expect(() => validateHostConfig({ ports: [twice, twice] })).toThrow(
      'ports[1].name: "a" is listed twice',
    );
  });
});

const DEFAULT_LOGIN = {
  attempts: 5,
  backoffSeconds: 1,
  maxBackoffSeconds: 900,
  globalPerMinute: 120,
  maxAddresses: 4096,
  maxSessions: 64,
  maxSessionsPerAddress: 16,
};
const DEFAULT_LIMITS = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
  maxWebSockets: 256,
};

describe('host configuration', () => {
  it('has a complete embedded default', () => {
    expect(defaultHostConfig()).toEqual({
      http: {
        host: '127.0.0.1',
        port: 7340,
        tls: { cert: '', key: '' },
        token: '',
        sessionMinutes: 720,
        login: DEFAULT_LOGIN,
        limits: DEFAULT_LIMITS,
      },
      link: { vxlan: [], pcapReplay: [] },
      websocket: {
        echo: {
          enabled: true,
          path: '/ws/echo',
          deflate: true,
          maxMessage: 16 * 1024 * 1024,
          keepAliveMs: 30000,
          allowedOrigins: [],
        },
      },
      ports: [],
      // On by default (issue 14): the demo RADIUS server, capture RPC and synthetic peer.
      radius: {
        enabled: true,
        host: '127.0.0.1',
        port: 1812,
        clients: [
          { address: '127.0.0.0/8', secret: 'testing123' },
          { address: '::1', secret: 'testing123' },
        ],
        users: [{ name: 'demo', password: 'demo' }],
        usersFile: '',
        methods: ['md5', 'mschapv2'],
        tls: {
          certificate: '',
          privateKey: '',
          ca: '',
          minVersion: 'TLSv1.2',
          maxVersion: 'TLSv1.3',
          resumeSeconds: 0,
        },
        radsec: {
          enabled: false,
          host: '127.0.0.1',
          port: 2083,
          certificate: '',
          privateKey: '',
          ca: '',
          clients: [],
          idleTimeoutMs: 120_000,
          maxConnections: 256,
          maxConnectionsPerClient: 16,
        },
        workers: 1,
        cluster: {
          enabled: false,
          id: 'netrx',
          serverId: '',
          forwardTimeoutMs: 1000,
          stateKey: '',
          previousStateKey: '',
          replicas: 1,
        },
      },
      capture: {
        rpc: { enabled: true, host: '127.0.0.1', port: 7341 },
        sessions: [{ name: 'default', providers: ['*'], level: 5, queueEvents: 4096 }],
        maxViewers: 8,
        ws: {
          maxConnectionsPerAddress: 16,
          keepAliveIntervalMs: 30_000,
          keepAliveTimeoutMs: 10_000,
        },
        nats: {
          host: '',
          publish: [],
          serve: [],
          maxBuffered: 4096,
          replicas: 1,
          streamBytes: 0,
          streamMessages: 0,
          batchBytes: 8192,
          batchEvents: 64,
          pullBudgetBytes: 8 * 1024 * 1024,
        },
      },
      cluster: {
        nats: {
          servers: [],
          name: 'netrx up',
          user: '',
          password: '',
          token: '',
          nkeySeed: '',
          credsFile: '',
          tls: { ca: '', certificate: '', privateKey: '', serverName: '' },
        },
      },
      synthetic: {
        enabled: true,
        intervalMs: 5000,
        identity: 'demo',
        password: 'demo',
        secret: 'testing123',
        // Review M2: the echo WebSocket and the login script each round.
        websocket: true,
        port: true,
      },
      log: { level: 'info' },
      trace: { console: false, level: 4 },
    });
    expect(validateHostConfig(null)).toEqual(defaultHostConfig());
  });

  it('reads YAML and JSON, filling defaults', async () => {
    expect(await loadHostConfig(file('a.yaml', 'http:\n  port: 8080\n'))).toMatchObject({
      http: { host: '127.0.0.1', port: 8080 },
    });
    expect(await loadHostConfig(file('b.json', '{"http":{"host":"::1"}}'))).toMatchObject({
      http: { host: '::1', port: 7340 },
    });
  });

  it('names the bad key in one line', async () => {
    expect(await failure(file('port.yaml', 'http:\n  port: 70000\n'))).toBe(
      `${dir}/port.yaml: http.port: expected an integer from 0 to 65535, got 70000`,
    );
    expect(await failure(file('str.yaml', 'http:\n  port: "80"\n'))).toMatch(
      /http\.port: expected an integer .* got "80"$/,
    );
    expect(await failure(file('unknown.yaml', 'http:\n  prot: 80\n'))).toMatch(
      /http\.prot: unknown key \(did you mean "port"\?\); expected one of: host, port, tls, token, sessionMinutes, login, limits$/,
    );
    expect(await failure(file('top.yaml', 'dhcp: {}\n'))).toMatch(
      /dhcp: unknown key; expected one of: http, link, websocket, ports, radius, capture, cluster, synthetic, log, trace$/,
    );
    expect(await failure(file('near.yaml', 'websockets: {}\n'))).toMatch(
      /websockets: unknown key \(did you mean "websocket"\?\)/,
    );
    expect(await failure(file('path.yaml', 'websocket:\n  echo:\n    path: ws\n'))).toMatch(
      /websocket\.echo\.path: expected a path starting with \//,
    );
    expect(await failure(file('host.yaml', 'http:\n  host: example.com\n'))).toMatch(
      /http\.host: expected an IPv4 or IPv6 address/,
    );
    expect(await failure(file('section.yaml', 'http: 7\n'))).toMatch(
      /http: expected an object, got 7$/,
    );
    expect(await failure(file('list.yaml', '- 1\n'))).toMatch(/expected an object, got a list$/);
  });

  it('reads VXLAN hosts and names a bad field inside the list', async () => {
    const good = await loadHostConfig(
      file(
        'vx.yaml',
        'link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n      remote: 127.0.0.1:4790\n      vni: 42\n      mac: 02:00:00:00:00:02\n      ipv4: [10.200.0.2/24]\n',
      ),
    );
    expect(good.link.vxlan[0]).toMatchObject({
      bind: { address: '127.0.0.1', port: 4789 },
      vni: 42,
      ipv4: [{ address: '10.200.0.2', prefixLength: 24 }],
      mtu: 1450,
      udpEcho: 0,
      vlan: 0,
    });
    const tagged = await loadHostConfig(
      file(
        'vxvlan.yaml',
        'link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n      remote: 127.0.0.1:4790\n      vni: 42\n      mac: 02:00:00:00:00:02\n      ipv4: [10.200.0.2/24]\n      vlan: 10\n',
      ),
    );
    expect(tagged.link.vxlan[0]?.vlan).toBe(10);
    expect(
      await failure(
        file(
          'vxvlanbad.yaml',
          'link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n      remote: 127.0.0.1:4790\n      vni: 42\n      mac: 02:00:00:00:00:02\n      vlan: 4095\n',
        ),
      ),
    ).toContain('vlan');
    expect(
      await failure(
        file(
          'vxbad.yaml',
          'link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n      remote: nowhere\n      vni: 42\n      mac: 02:00:00:00:00:02\n',
        ),
      ),
    ).toMatch(/link\.vxlan\[0\]\.remote: expected IP:PORT, got "nowhere"$/);
    expect(
      await failure(file('vxmissing.yaml', 'link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n')),
    ).toMatch(/link\.vxlan\[0\]\.remote: is required/);
  });

  it('reads the extra allowed VXLAN sources (canonical) and refuses one that is not an address', async () => {
    const vxlan = (extra: string) =>
      `link:\n  vxlan:\n    - bind: 127.0.0.1:4789\n      remote: 127.0.0.1:4790\n      vni: 42\n      mac: 02:00:00:00:00:02\n${extra}`;
    const none = await loadHostConfig(file('vxsrc0.yaml', vxlan('')));
    expect(none.link.vxlan[0]?.allowedSources).toEqual([]);
    const some = await loadHostConfig(
      file('vxsrc1.yaml', vxlan('      allowedSources: [10.99.0.5, "::FFFF:10.99.0.6"]\n')),
    );
    // An IPv4-mapped IPv6 address is the IPv4 address a socket reports.
    expect(some.link.vxlan[0]?.allowedSources).toEqual(['10.99.0.5', '10.99.0.6']);
    expect(
      await failure(file('vxsrc2.yaml', vxlan('      allowedSources: [vtep.example]\n'))),
    ).toMatch(
      /link\.vxlan\[0\]\.allowedSources\[0\]: expected an IPv4 or IPv6 address, got "vtep\.example"$/,
    );
  });

  it('reports malformed files and missing files in one line', async () => {
    for (const message of [
      await failure(file('bad.yaml', 'http: [\n')),
      await failure(file('dup.yaml', 'http: {}\nhttp: {}\n')),
      await failure(file('bad.json', '{"http":')),
      await failure(join(dir, 'missing.yaml')),
    ]) {
      expect(message.split('\n')).toHaveLength(1);
    }
    expect(await failure(join(dir, 'missing.yaml'))).toMatch(/missing\.yaml: no such file$/);
    expect(await failure(dir)).toBe(`${dir}: is a directory, not a file`);
    expect(await failure(file('bad2.json', '{"http":'))).toMatch(/not valid JSON/);
  });

  it('never throws anything but ConfigError on arbitrary values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateHostConfig(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});

describe('host configuration: addresses checked before anything starts (issue 17)', () => {
  function problem(value: unknown): string {
    try {
      validateHostConfig(value);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  }
  const vxlan = {
    bind: '127.0.0.1:4789',
    remote: '127.0.0.1:4790',
    vni: 42,
    mac: '02:00:00:00:00:02',
  };

  it('link.vxlan refuses a non-unicast remote, an allowed source of the other family and a network address as its own (review of issue 17)', () => {
    const link = (extra: object) => ({ link: { vxlan: [{ ...vxlan, ...extra }] } });
    expect(problem(link({ remote: '224.0.0.1:4789' }))).toBe(
      "link.vxlan[0].remote: 224.0.0.1 is a multicast address: the remote must be one VTEP's unicast address",
    );
    expect(problem(link({ remote: '0.0.0.0:4789' }))).toMatch(
      /^link\.vxlan\[0\]\.remote: 0\.0\.0\.0 is the unspecified/,
    );
    expect(problem(link({ allowedSources: ['10.0.0.1', '::1'] }))).toMatch(
      /^link\.vxlan\[0\]\.allowedSources\[1\]: ::1 is IPv6 but the tunnel is IPv4/,
    );
    expect(problem(link({ ipv4: ['10.200.0.0/24'] }))).toBe(
      "link.vxlan[0].ipv4[0]: 10.200.0.0 is the network address of its /24, not a host's own",
    );
    expect(problem(link({ ipv6: ['ff02::1/64'] }))).toMatch(
      /^link\.vxlan\[0\]\.ipv6\[0\]: ff02::1 is a multicast/,
    );
  });

  it('link.vxlan gateway: on-link addresses of each family, refused off-link or of the wrong family (issue 9)', () => {
    const link = (gateway: object, extra: object = {}) => ({
      link: { vxlan: [{ ...vxlan, ipv4: ['10.200.0.2/24'], gateway, ...extra }] },
    });
    expect(validateHostConfig(link({})).link.vxlan[0]?.gateway).toEqual({ ipv4: '', ipv6: '' });
    expect(
      validateHostConfig(link({ ipv4: '10.200.0.1', ipv6: 'fe80::1' })).link.vxlan[0]?.gateway,
    ).toEqual({ ipv4: '10.200.0.1', ipv6: 'fe80::1' });
    expect(
      validateHostConfig(link({ ipv6: 'fd42::1' }, { ipv6: ['fd42::2/64'] })).link.vxlan[0]?.gateway
        .ipv6,
    ).toBe('fd42::1');
    expect(problem(link({ ipv4: '10.201.0.1' }))).toBe(
      "link.vxlan[0].gateway.ipv4: 10.201.0.1 is on none of the host's IPv4 subnets (10.200.0.2/24): a gateway must be on-link",
    );
    expect(problem(link({ ipv4: '10.200.0.2' }))).toBe(
      "link.vxlan[0].gateway.ipv4: 10.200.0.2 is the host's own address, not a gateway",
    );
    expect(problem(link({ ipv6: 'fd42::1' }))).toBe(
      "link.vxlan[0].gateway.ipv6: fd42::1 is on none of the host's IPv6 subnets (it has none): a gateway must be on-link",
    );
    expect(problem(link({ ipv4: 'fe80::1' }))).toBe(
      'link.vxlan[0].gateway.ipv4: expected an IPv4 address, got "fe80::1"',
    );
    expect(problem(link({ ipv6: '10.200.0.1' }))).toBe(
      'link.vxlan[0].gateway.ipv6: expected an IPv6 address (no zone), got "10.200.0.1"',
    );
    expect(problem(link({ ipv4: '10.200.0.1', via: 'x' }))).toMatch(
      /^link\.vxlan\[0\]\.gateway\.via: unknown key/,
    );
  });

  it('link.vxlan routes: through an on-link gateway, refused otherwise (issue 9)', () => {
    const link = (routes: object[]) => ({
      link: { vxlan: [{ ...vxlan, ipv4: ['10.200.0.2/24'], routes }] },
    });
    expect(validateHostConfig(link([])).link.vxlan[0]?.routes).toEqual([]);
    const route = { destination: '10.9.0.0/16', via: '10.200.0.253' };
    expect(validateHostConfig(link([route])).link.vxlan[0]?.routes).toEqual([route]);
    expect(problem(link([route, { destination: '10.8.0.0/16', via: '10.201.0.1' }]))).toBe(
      "link.vxlan[0].routes[1]: 10.201.0.1 is on none of the host's IPv4 subnets (10.200.0.2/24): a gateway must be on-link",
    );
    expect(problem(link([{ destination: '10.9.0.0', via: '10.200.0.253' }]))).toBe(
      'link.vxlan[0].routes[0]: expected a destination ADDRESS/NN, got "10.9.0.0"',
    );
    expect(problem(link([{ destination: 'fd99::/48', via: '10.200.0.253' }]))).toBe(
      'link.vxlan[0].routes[0]: fd99::/48 is IPv6 but its gateway 10.200.0.253 is IPv4',
    );
    expect(problem(link([{ destination: '10.9.0.0/16' }]))).toMatch(
      /^link\.vxlan\[0\]\.routes\[0\]\.via: is required/,
    );
  });

  it('http.host is an address literal or localhost, never a name to look up', () => {
    for (const host of ['abc', 'cafe', '::::', '999.0.0.1', 'example.com']) {
      expect(problem({ http: { host } })).toBe(
        `http.host: expected an IPv4 or IPv6 address or "localhost", got ${JSON.stringify(host)}`,
      );
    }
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      expect(validateHostConfig({ http: { host } }).http.host).toBe(host);
  });

  it('a non-loopback http.host needs tls and a token: one error naming the key', () => {
    for (const host of ['::', 'fe80::1', '0.0.0.0', '192.0.2.1'])
      expect(problem({ http: { host } })).toBe(
        `http.tls: http.host ${host} is not loopback: the dashboard and capture endpoints need tls.cert and tls.key there`,
      );
    const tls = {
      cert: file('cert.pem', certs.server.certPem),
      key: file('key.pem', certs.server.keyPem),
    };
    expect(problem({ http: { host: '::', tls } })).toBe(
      'http.token: http.host :: is not loopback: set a token every client must present',
    );
    expect(problem({ http: { host: '::', tls, token: 'short' } })).toBe(
      'http.token: too short: at least 16 characters',
    );
    // The boundary (review T2 #12): 15 refused, 16 accepted.
    expect(problem({ http: { host: '::', tls, token: 'x'.repeat(15) } })).toBe(
      'http.token: too short: at least 16 characters',
    );
    expect(
      validateHostConfig({ http: { host: '::', tls, token: 'x'.repeat(16) } }).http.token,
    ).toBe('x'.repeat(16));
  });

  it('a non-loopback http.host with tls and a token is accepted', () => {
    const tls = {
      cert: file('cert.pem', certs.server.certPem),
      key: file('key.pem', certs.server.keyPem),
    };
    const token = 'a-token-of-24-characters';
    for (const host of ['::', 'fe80::1', '0.0.0.0', '192.0.2.1'])
      expect(validateHostConfig({ http: { host, tls, token } }).http).toEqual({
        host,
        port: 7340,
        tls,
        token,
        sessionMinutes: 720,
        login: DEFAULT_LOGIN,
        limits: DEFAULT_LIMITS,
      });
  });

  it('link.vxlan refuses a tunnel from one address family to the other', () => {
    expect(problem({ link: { vxlan: [{ ...vxlan, remote: '[::1]:4790' }] } })).toMatch(
      /^link\.vxlan\[0\]\.remote: the bind address 127\.0\.0\.1 is IPv4 but the remote ::1 is IPv6/,
    );
    expect(
      problem({ link: { vxlan: [vxlan, { ...vxlan, vni: 43, bind: '[::1]:4789' }] } }),
    ).toMatch(
      /^link\.vxlan\[1\]\.remote: the bind address ::1 is IPv6 but the remote 127\.0\.0\.1 is IPv4/,
    );
  });

  it('link.vxlan refuses a multicast or all-zero MAC as the host own', () => {
    for (const mac of ['01:00:5e:00:00:fb', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00']) {
      expect(problem({ link: { vxlan: [{ ...vxlan, mac }] } })).toMatch(
        /^link\.vxlan\[0\]\.mac: is (a multicast address|all zeros)/,
      );
    }
  });
  it('link.vxlan authenticator and supplicant: defaults, users, and what an enabled one needs', () => {
    const config = validateHostConfig({
      link: {
        vxlan: [
          {
            ...vxlan,
            authenticator: { enabled: true, users: [{ name: 'bob', password: 'hello' }] },
          },
        ],
      },
    });
    expect(config.link.vxlan[0]?.authenticator).toEqual({
      enabled: true,
      users: [{ name: 'bob', password: 'hello' }],
      portControl: 'auto',
      quietPeriodMs: 60000,
      txPeriodMs: 30000,
      reAuthPeriodMs: 3600000,
      reAuthMax: 2,
      maxSupplicants: 256,
      radius: { servers: [], timeoutMs: 2000, retries: 2, nasIdentifier: 'netrx' },
    });
    expect(config.link.vxlan[0]?.supplicant).toEqual({
      enabled: false,
      identity: '',
      password: '',
    });
    const auth = (authenticator: unknown) =>
      problem({ link: { vxlan: [{ ...vxlan, authenticator }] } });
    expect(auth({ enabled: true })).toBe(
      'link.vxlan[0].authenticator.users: an enabled authenticator needs at least one user (or radius.servers)',
    );
    // The RADIUS pass-through: servers instead of users.
    const radius = validateHostConfig({
      link: {
        vxlan: [
          {
            ...vxlan,
            authenticator: {
              enabled: true,
              radius: { servers: [{ address: '127.0.0.1', secret: 'testing123' }], retries: 1 },
            },
          },
        ],
      },
    });
    expect(radius.link.vxlan[0]?.authenticator.radius).toEqual({
      servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
      timeoutMs: 2000,
      retries: 1,
      nasIdentifier: 'netrx',
    });
    const server = { address: '127.0.0.1', secret: 's' };
    expect(
      auth({
        enabled: true,
        users: [{ name: 'bob', password: 'a' }],
        radius: { servers: [server] },
      }),
    ).toBe(
      'link.vxlan[0].authenticator.users: with radius.servers the RADIUS server decides: give no users',
    );
    expect(
      auth({ enabled: true, radius: { servers: [{ ...server, address: 'radius.lan' }] } }),
    ).toBe(
      'link.vxlan[0].authenticator.radius.servers[0].address: not an IP address: "radius.lan"',
    );
    expect(
      auth({ enabled: true, radius: { servers: [server, { ...server, address: '::1' }] } }),
    ).toBe(
      'link.vxlan[0].authenticator.radius.servers: give all IPv4 or all IPv6 addresses (one socket)',
    );
    expect(auth({ enabled: true, radius: { servers: [{ address: '127.0.0.1' }] } })).toMatch(
      /radius\.servers\[0\]\.secret/,
    );
    expect(
      auth({
        enabled: true,
        users: [
          { name: 'bob', password: 'a' },
          { name: 'bob', password: 'b' },
        ],
      }),
    ).toBe('link.vxlan[0].authenticator.users[1].name: "bob" is listed twice');
    expect(auth({ portControl: 'on' })).toMatch(
      /^link\.vxlan\[0\]\.authenticator\.portControl: expected one of/,
    );
    expect(auth({ reAuthMax: 0 })).toMatch(
      /^link\.vxlan\[0\]\.authenticator\.reAuthMax: expected an integer from 1/,
    );
    expect(problem({ link: { vxlan: [{ ...vxlan, supplicant: { enabled: true } }] } })).toBe(
      'link.vxlan[0].supplicant.identity: an enabled supplicant needs an identity',
    );
  });
});
