// What a newcomer sees when they get a command wrong (issue 17): group help,
// wrapped help, what is wrong with a flag, addresses checked without DNS, file
// errors that name the file, VXLAN settings refused before anything starts.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, type CliIo } from '../../src/cli/index.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'netrx-messages-'));

async function run(
  args: string[],
  columns?: number,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(...l.split('\n')),
    err: (l) => err.push(...l.split('\n')),
    untilStopped: () => Promise.resolve(),
    columns,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

const vxlan = [
  'link',
  'vxlan',
  '--bind',
  '127.0.0.1:4788',
  '--remote',
  '127.0.0.1:4789',
  '--vni',
  '42',
  '--mac',
  '02:00:00:00:00:02',
  '--ip',
  '10.200.0.2/24',
];
function withFlag(flag: string, value: string): string[] {
  const args = [...vxlan];
  args[args.indexOf(flag) + 1] = value;
  return args;
}

describe('help', () => {
  it('bare netrx prints the help and exits 0, like --help', async () => {
    const bare = await run([]);
    const help = await run(['--help']);
    expect(bare.code).toBe(0);
    expect(help.code).toBe(0);
    expect(bare.out).toEqual(help.out);
    expect(bare.out.join('\n')).toContain('netrx websocket echo');
  });

  for (const [group, sub] of [
    ['link', 'netrx link vxlan'],
    ['pcap', 'netrx pcap info FILE'],
    ['websocket', 'netrx websocket echo'],
  ] as const) {
    it(`netrx ${group}, netrx ${group} --help and netrx help ${group} list its commands (exit 0)`, async () => {
      for (const args of [[group], [group, '--help'], [group, '-h'], ['help', group]]) {
        const result = await run(args);
        expect({ args, code: result.code, err: result.err }).toEqual({ args, code: 0, err: [] });
        expect(result.out.join('\n')).toContain(sub);
      }
    });
  }

  it('an unknown command in a group names what the group has (exit 2)', async () => {
    const result = await run(['link', 'frobnicate']);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'netrx link: unknown command "frobnicate" (netrx link has: vxlan)',
    ]);
  });

  it('wraps to the terminal width, 80 columns when not a terminal', async () => {
    for (const columns of [undefined, 60, 100]) {
      for (const args of [['--help'], ['link', '--help'], ['link', 'vxlan', '--help']]) {
        const { out } = await run(args, columns);
        const width = columns ?? 80;
        expect(out.filter((line) => line.length > width)).toEqual([]);
      }
    }
    // Wrapping keeps every word, each [--flag VALUE]... and each --flag VALUE whole.
    for (const columns of [40, 50, 60, 70, 80]) {
      const { out } = await run(['link', 'vxlan', '--help'], columns);
      const lines = out.map((line) => line.trim());
      expect(out.join(' ')).toMatch(/\[--ip6 ADDR\/NN\]/);
      expect(out.join(' ').replace(/\s+/g, ' ')).toContain('--trust-checksums] [--verbose]');
      expect(lines.filter((line) => /(^|\s)--(vni|bind|remote|mac|ip)$/.test(line))).toEqual([]);
      expect(out.join(' ')).toContain('[--allow-source IP]...');
    }
  });

  it('the built binary wraps at 80 when its output is a pipe', () => {
    const result = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    expect(lines.length).toBeGreaterThan(10);
  });
});

describe('stray arguments', () => {
  it('--version takes no arguments (exit 2)', async () => {
    const result = await run(['--version', 'extra']);
    expect(result).toEqual({
      code: 2,
      out: [],
      err: ['netrx: --version takes no arguments, got "extra" (try netrx --help)'],
    });
    expect((await run(['-V'])).code).toBe(0);
  });

  it('an option after a group is refused as an option, not a command (exit 2)', async () => {
    const result = await run(['link', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['netrx link: unknown option --bogus (try netrx link --help)']);
  });

  it('-- ends the options: pcap info -- --help reads a file named --help', async () => {
    const result = await run(['pcap', 'info', '--', '--help']);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual(['netrx pcap info: --help: no such file']);
  });

  it('an unknown top-level option is refused as an option (exit 2)', async () => {
    const result = await run(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['netrx: unknown option --bogus (try netrx --help)']);
  });
});

describe('flag messages say what is wrong', () => {
  it('a switch given a value says it takes none', async () => {
    for (const [args, flag] of [
      [['websocket', 'echo', '--port', '0', '--deflate=yes'], '--deflate'],
      [[...vxlan, '--verbose=1'], '--verbose'],
    ] as const) {
      const result = await run([...args]);
      expect(result.code).toBe(2);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toContain(`${flag} is a switch and takes no value`);
      expect(result.err[0]).not.toContain('needs a value');
    }
  });

  it('a negative number gives the range, not "needs a value"', async () => {
    const port = await run(['websocket', 'echo', '--port', '-1']);
    expect(port.code).toBe(2);
    expect(port.err[0]).toContain('--port: expected an integer from 0 to 65535, got "-1"');
    const vni = await run(withFlag('--vni', '-1'));
    expect(vni.code).toBe(2);
    expect(vni.err[0]).toContain('--vni: expected an integer from 0 to 16777215, got "-1"');
  });

  it('an option with its value missing still says so', async () => {
    const result = await run(['websocket', 'echo', '--port']);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^netrx websocket echo: --port needs a value/);
  });
});

describe('addresses are checked without DNS', () => {
  for (const host of ['999.0.0.1', 'abc', 'example.com']) {
    it(`websocket echo --host ${host} is a usage error, not a lookup`, async () => {
      const result = await run(['websocket', 'echo', '--host', host, '--port', '0']);
      expect(result.code).toBe(2);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toContain(
        `--host: expected an IPv4 or IPv6 address or "localhost", got "${host}"`,
      );
      expect(result.err[0]).not.toMatch(/ENOTFOUND|getaddrinfo/);
    });
  }
});

describe('file errors name the file', () => {
  it('pcap info DIR names the directory', async () => {
    const result = await run(['pcap', 'info', dir]);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`netrx pcap info: ${dir}: is a directory, not a file`]);
  });

  it('link vxlan --pcap DIR names the directory once, in plain words', async () => {
    const port = await freeUdpPort();
    const result = await run([...withFlag('--bind', `127.0.0.1:${port}`), '--pcap', dir]);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`netrx link vxlan: ${dir}: is a directory, not a file`]);
  });

  it('pcap info on a missing file names it once: no Node text repeating the path', async () => {
    const missing = join(dir, 'missing.pcapng');
    const result = await run(['pcap', 'info', missing]);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`netrx pcap info: ${missing}: no such file`]);
  });
});

describe('link vxlan refuses, before it starts, what could never work', () => {
  it('an IPv4 --bind with an IPv6 --remote (and the reverse)', async () => {
    for (const args of [withFlag('--remote', '[::1]:4789'), withFlag('--bind', '[::1]:4788')]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toMatch(/--bind\/--remote: .*a tunnel needs one family at both ends/);
    }
  });

  for (const [flag, value, message] of [
    ['--allow-source', '::1', '--allow-source: ::1 is IPv6 but the tunnel is IPv4'],
    ['--remote', '0.0.0.0:4789', '--remote: 0.0.0.0 is the unspecified address'],
    ['--remote', '224.0.0.1:4789', '--remote: 224.0.0.1 is a multicast address'],
    ['--remote', '255.255.255.255:4789', '--remote: 255.255.255.255 is the broadcast address'],
    ['--ip', '224.0.0.1/24', "--ip: 224.0.0.1 is a multicast address, not a host's own"],
    ['--ip', '10.200.0.0/24', '--ip: 10.200.0.0 is the network address of its /24'],
    ['--ip', '10.200.0.255/24', '--ip: 10.200.0.255 is the broadcast address of its /24'],
    ['--ip6', 'ff02::1/64', "--ip6: ff02::1 is a multicast address, not a host's own"],
    ['--bind', '127.0.0.1:0', '--bind: the port must be from 1 to 65535, got 0'],
    ['--gateway', 'router', '--gateway: not an IPv4 or IPv6 address: "router"'],
    [
      '--gateway',
      '10.201.0.1',
      "--gateway: 10.201.0.1 is on none of the host's IPv4 subnets (10.200.0.2/24): a gateway must be on-link",
    ],
    ['--gateway', '10.200.0.2', "--gateway: 10.200.0.2 is the host's own address, not a gateway"],
    ['--gateway', '224.0.0.1', '--gateway: 224.0.0.1 is a multicast address, not a gateway'],
    [
      '--gateway',
      'fd42::1',
      "--gateway: fd42::1 is on none of the host's IPv6 subnets (it has none)",
    ],
    ['--vlan', '0', '--vlan: expected an integer from 1 to 4094, got "0"'],
    ['--vlan', '4095', '--vlan: expected an integer from 1 to 4094, got "4095"'],
    ['--route', '10.9.0.0/16', `--route: expected 'PREFIX/LEN via IP', got "10.9.0.0/16"`],
    ['--route', '10.9.0.0/33 via 10.200.0.1', '--route: expected a destination ADDRESS/NN'],
    [
      '--route',
      'fd99::/48 via 10.200.0.1',
      '--route: fd99::/48 is IPv6 but its gateway 10.200.0.1 is IPv4',
    ],
    [
      '--route',
      '10.9.0.0/16 via 10.201.0.1',
      "--route: 10.201.0.1 is on none of the host's IPv4 subnets (10.200.0.2/24)",
    ],
  ] as const) {
    it(`${flag} ${value}`, async () => {
      const args =
        flag === '--allow-source' ||
        flag === '--ip6' ||
        flag === '--gateway' ||
        flag === '--route' ||
        flag === '--vlan'
          ? [...vxlan, flag, value]
          : withFlag(flag, value);
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toContain(message);
    });
  }

  for (const [extra, message] of [
    [['--user', 'bob:hello'], '--user: only with --8021x-authenticator'],
    [
      ['--8021x-authenticator'],
      '--8021x-authenticator: give at least one --user NAME:PASSWORD (or --radius HOST:PORT)',
    ],
    [['--radius', '127.0.0.1:1812'], '--radius: only with --8021x-authenticator'],
    [
      ['--8021x-authenticator', '--radius', '127.0.0.1:1812'],
      '--radius: give the shared secret with --radius-secret S',
    ],
    [
      [
        '--8021x-authenticator',
        '--radius',
        '127.0.0.1:1812',
        '--radius-secret',
        's',
        '--user',
        'bob:a',
      ],
      '--radius: the RADIUS server decides; give no --user with it',
    ],
    [
      ['--8021x-authenticator', '--radius', 'nope', '--radius-secret', 's'],
      '--radius: expected IP:PORT (or [IPv6]:PORT), got "nope"',
    ],
    [['--8021x-authenticator', '--user', 'bob'], '--user: expected NAME:PASSWORD, got "bob"'],
    [['--8021x-authenticator', '--user', 'bob:a', '--user', 'bob:b'], '--user: "bob" given twice'],
    [['--8021x-supplicant', ':pw'], '--8021x-supplicant: expected NAME:PASSWORD, got ":pw"'],
  ] as const) {
    it(`802.1X: ${extra.join(' ')}`, async () => {
      const result = await run([...vxlan, ...extra]);
      expect(result).toEqual({ code: 2, out: [], err: [expect.stringContaining(message)] });
    });
  }

  it('two --gateway options of one family', async () => {
    const result = await run([...vxlan, '--gateway', '10.200.0.1', '--gateway', '10.200.0.254']);
    expect(result).toEqual({
      code: 2,
      out: [],
      err: [
        expect.stringContaining('--gateway: more than one IPv4 gateway (10.200.0.1, 10.200.0.254)'),
      ],
    });
  });

  it('an on-link --gateway of each family starts (IPv6: link-local or on an own prefix)', async () => {
    for (const gateways of [
      ['10.200.0.1'],
      ['10.200.0.1', 'fe80::1'],
      ['fd42::1', '10.200.0.254'],
    ]) {
      // (and a route through an on-link gateway beside them)
      const port = await freeUdpPort();
      const result = await run([
        ...withFlag('--bind', `127.0.0.1:${port}`),
        '--ip6',
        'fd42::2/64',
        ...gateways.flatMap((g) => ['--gateway', g]),
        '--route',
        '10.9.0.0/16 via 10.200.0.253',
      ]);
      expect({ gateways, code: result.code, err: result.err }).toEqual({
        gateways,
        code: 0,
        err: [],
      });
    }
  });

  it('a /31 or /32 own address is a host address, not a network or broadcast one', async () => {
    for (const ip of ['10.200.0.0/31', '10.200.0.1/32']) {
      const port = await freeUdpPort();
      // Starts (and stops at once: untilStopped resolves), exit 0.
      const result = await run(
        withFlag('--ip', ip).map((a) => (a === '127.0.0.1:4788' ? `127.0.0.1:${port}` : a)),
      );
      expect({ ip, code: result.code, err: result.err }).toEqual({ ip, code: 0, err: [] });
    }
  });

  for (const mac of [
    '01:00:5e:00:00:fb',
    'ff:ff:ff:ff:ff:ff',
    '03:00:00:00:00:01',
    '00:00:00:00:00:00',
  ]) {
    it(`--mac ${mac} as its own address`, async () => {
      const result = await run(withFlag('--mac', mac));
      expect(result.code).toBe(2);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toContain(`--mac: ${mac} is `);
    });
  }
});

describe('netrx up', () => {
  it('--print-config prints the commented default, a starting point for --config (exit 0)', async () => {
    const result = await run(['up', '--print-config']);
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(result.out[0]).toBe('http:');
    expect(result.out.join('\n')).toContain('port: 7340        # 0 picks a free port');
    const file = join(dir, 'printed.yaml');
    writeFileSync(file, `${result.out.join('\n')}\n`);
    // What it printed runs as a configuration, and prints back as itself, defaults
    // filled in (secrets too with --show-secrets; without, they are *** (S4)).
    const again = await run(['up', '--config', file, '--print-config', '--show-secrets']);
    expect(again.code).toBe(0);
    expect(parseYaml(again.out.join('\n'))).toEqual(parseYaml(result.out.join('\n')));
    const redacted = await run(['up', '--config', file, '--print-config']);
    expect(redacted.out.join('\n')).not.toContain('testing123');
    expect(redacted.out.join('\n')).toContain('secret: "***"');
  });

  it('errors are prefixed "netrx up:" like every other command\'s', async () => {
    const result = await run(['up', '--config', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`netrx up: config ${join(dir, 'missing.yaml')}: no such file`]);
  });
});

describe('radius serve: the cluster state keys', () => {
  const key = 'ab'.repeat(32);
  const previous = 'cd'.repeat(32);
  const cluster = ['--nats', 'nats://127.0.0.1:1', '--cluster-id', 'c', '--server-id', 's'];
  for (const [extra, message] of [
    [
      ['--previous-state-key', previous],
      '--cluster-id, --server-id, --state-key, --previous-state-key and --kv-replicas need --nats URL',
    ],
    [
      [...cluster, '--previous-state-key', previous],
      '--previous-state-key needs --state-key (the key records are sealed with)',
    ],
    [
      [...cluster, '--state-key', key, '--previous-state-key', `${previous.slice(2)}zz`],
      '--previous-state-key: not 64 hex digits, and no readable key file there',
    ],
  ] as const) {
    it(`radius serve ${extra.join(' ')}`, async () => {
      const result = await run(['radius', 'serve', '--secret', 's', ...extra]);
      expect(result).toEqual({ code: 2, out: [], err: [expect.stringContaining(message)] });
      // A key is never echoed, not even a wrong one.
      for (const line of result.err) {
        expect(line).not.toContain(previous.slice(2, 40));
        expect(line).not.toContain(key);
      }
    });
  }
});
