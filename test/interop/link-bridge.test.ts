import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcapFile } from '../../src/node/link/index.js';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { cleanupOnExit, execIn, NETNS_PREFIX, sh, waitForOutput } from './support/netns.js';
import { NETRX_MAIN } from './support/netrx-vxlan.js';

/**
 * netrx as a port of a Linux bridge through a kernel VXLAN interface, with no
 * native addon (docs/link.md, "Attaching to a LAN"): the lab is built by
 * scripts/link-bridge-lab.sh, the script a person runs, in three namespaces
 * named with this process's PID. Peers: the kernel bridge and VXLAN device,
 * a veth host on the bridge using ping (iputils), python3 (a kernel UDP
 * client, and an AF_PACKET socket sending EAPOL). Versions are printed below.
 */
const script = join(import.meta.dirname, '..', '..', 'scripts', 'link-bridge-lab.sh');
const peers = requirePeers('link-bridge interop', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
  { name: 'ethtool', ok: () => commandExists('ethtool'), hint: 'apt-get install ethtool' },
  { name: 'python3', ok: () => commandExists('python3'), hint: 'apt-get install python3' },
]);

// The script names its namespaces PREFIXTAG-*, PREFIX from NRX_LAB_PREFIX (nrx- unless told):
// a NETRX_NETNS_PREFIX becomes that prefix.
const labPrefix = NETNS_PREFIX === 'nrx' ? 'nrx-' : NETNS_PREFIX;
const lab = (action: 'up' | 'down') =>
  sh(['env', `NRX_LAB_PREFIX=${labPrefix}`, 'sh', script, action, tag]);
const tag = `br${process.pid}`;
const ns = {
  host: `${labPrefix}${tag}-host`,
  bridge: `${labPrefix}${tag}-bridge`,
  netrx: `${labPrefix}${tag}-netrx`,
};
const inNs = (name: string, args: readonly string[]) => execIn(name, args);

const UDP_PROBE = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b'netrx on a bridge', (sys.argv[1], int(sys.argv[2])))
data, peer = s.recvfrom(2048)
print(data.decode(), peer[1])
`;

// An EAPOL-Start (version 2, type 1, length 0) to the PAE group address,
// padded with a marker byte that tells the test which send it was.
const EAPOL_SEND = `
import socket, sys
marker = int(sys.argv[2])
frame = bytes.fromhex('0180c2000003 020000000001 888e 02010000') + bytes([marker]) * 42
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(frame)
`;

describe.skipIf(peers.skip)('netrx as a Linux bridge port through a kernel VXLAN interface', () => {
  let netrx: ChildProcess | undefined;
  let teardown: (() => void) | undefined;
  let stdout = '';
  const pcap = join(mkdtempSync(join(tmpdir(), 'netrx-bridge-')), 'seen.pcapng');

  beforeAll(async () => {
    console.info(
      `peers: kernel ${versionOf('uname', ['-r'])}; ${versionOf('ip', ['-V'])}; ${versionOf('ping', ['-V'])}; ${versionOf('python3')}`,
    );
    teardown = cleanupOnExit(() => {
      if (netrx?.exitCode === null && netrx.signalCode === null) netrx.kill('SIGKILL');
      lab('down');
    });
    const up = lab('up');
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    netrx = spawn(
      'nsenter',
      [
        `--net=/run/netns/${ns.netrx}`,
        process.execPath,
        NETRX_MAIN,
        'link',
        'vxlan',
        '--bind',
        '10.99.0.2:4789',
        '--remote',
        '10.99.0.1:4789',
        '--vni',
        '42',
        '--mac',
        '02:00:00:00:00:02',
        '--ip',
        '10.200.0.2/24',
        // The lab's underlay is 1550 bytes: the segment carries 1500-byte packets.
        '--mtu',
        '1500',
        '--udp-echo',
        '7',
        '--pcap',
        pcap,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    netrx.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitForOutput(netrx, /^ready$/m);
  });

  // Runs at exit too, if the suite never gets here.
  afterAll(() => teardown?.());

  it('the bridge has the VXLAN port and forwards the PAE group address (group_fwd_mask 8)', () => {
    const ports = sh(['ip', '-n', ns.bridge, 'link', 'show', 'master', 'br0']).stdout;
    expect(ports).toMatch(/vx0/);
    expect(ports).toMatch(/hv0/);
    const bridge = sh(['ip', '-n', ns.bridge, '-d', 'link', 'show', 'br0']).stdout;
    expect(bridge).toMatch(/group_fwd_mask 0x8/);
  });

  it('a veth host on the bridge pings netrx', () => {
    const result = inNs(ns.host, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.200.0.2']);
    expect(result.stdout).toMatch(/3 received/);
    const neigh = inNs(ns.host, ['ip', 'neigh', 'show', '10.200.0.2', 'dev', 'hv1']).stdout;
    expect(neigh).toMatch(/lladdr 02:00:00:00:00:02/);
  });

  it('carries 1500-byte packets: ping -M do -s 1472 gets replies over the 1550-byte underlay', () => {
    const mtu = (space: string, device: string) =>
      /mtu (\d+)/.exec(sh(['ip', '-n', space, 'link', 'show', device]).stdout)?.[1];
    expect(mtu(ns.bridge, 'lk0')).toBe('1550');
    expect(mtu(ns.bridge, 'vx0')).toBe('1500');
    expect(mtu(ns.host, 'hv1')).toBe('1500');
    // 1472 bytes of ICMP data + 8 + 20 = a 1500-byte IP packet, DF set (no fragmentation anywhere).
    const big = inNs(ns.host, [
      'ping',
      '-c',
      '3',
      '-i',
      '0.2',
      '-W',
      '2',
      '-M',
      'do',
      '-s',
      '1472',
      '10.200.0.2',
    ]);
    expect(big.stdout).toMatch(/3 received/);
    expect(big.stdout).toMatch(/1480 bytes from 10\.200\.0\.2/);
  });

  it("a veth host on the bridge reaches netrx's UDP socket", () => {
    const result = inNs(ns.host, ['python3', '-c', UDP_PROBE, '10.200.0.2', '7']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('netrx on a bridge 7');
  });

  it('EAPOL to 01:80:c2:00:00:03 reaches netrx only with group_fwd_mask bit 3 set', async () => {
    const mask = (value: number) =>
      expect(
        sh([
          'ip',
          '-n',
          ns.bridge,
          'link',
          'set',
          'br0',
          'type',
          'bridge',
          'group_fwd_mask',
          String(value),
        ]).status,
      ).toBe(0);
    mask(0);
    expect(inNs(ns.host, ['python3', '-c', EAPOL_SEND, 'hv1', '170']).status).toBe(0); // 0xaa
    mask(8);
    expect(inNs(ns.host, ['python3', '-c', EAPOL_SEND, 'hv1', '187']).status).toBe(0); // 0xbb
    // A ping after the EAPOL frames, on the same path: when its reply is back, netrx has them.
    expect(inNs(ns.host, ['ping', '-c', '1', '-W', '2', '10.200.0.2']).stdout).toMatch(
      /1 received/,
    );
    const child = netrx!;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const eapol: number[] = [];
    for await (const record of readPcapFile(pcap)) {
      const frame = record.data;
      if (frame[12] === 0x88 && frame[13] === 0x8e) eapol.push(frame[18] ?? -1);
    }
    expect(eapol).toEqual([0xbb]);
    const stats = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      dropped: { foreignSource: number };
    };
    expect(stats.dropped.foreignSource).toBe(0);
  });
});
