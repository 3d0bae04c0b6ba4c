import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcapInfo } from '../../src/node/link/index.js';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { createVxlanLab, LAB, waitForOutput, type VxlanLab } from './support/netns.js';

/**
 * The Linux kernel against netrx over VXLAN, in two network namespaces this
 * test creates and removes (link.md §3.2). Peers: the kernel's VXLAN device,
 * ping and ping -6 (iputils), arping (iputils), python3 as a kernel UDP
 * client, tshark for the pcap netrx writes. Versions are printed below.
 */
const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const peers = requirePeers('link-vxlan interop', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
  { name: 'arping', ok: () => commandExists('arping'), hint: 'apt-get install iputils-arping' },
  { name: 'ethtool', ok: () => commandExists('ethtool'), hint: 'apt-get install ethtool' },
  { name: 'python3', ok: () => commandExists('python3'), hint: 'apt-get install python3' },
]);

const UDP_PROBE = `
import socket, sys
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b'netrx interop ' + sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
data, peer = s.recvfrom(2048)
print(data.decode(), peer[1])
`;

/** Sends `size` bytes to the echo port and checks the whole datagram comes back (so both ways fragmented past the MTU). */
const BIG_UDP_PROBE = `
import socket, sys
family = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(3)
payload = bytes((i * 7 + 1) & 0xff for i in range(int(sys.argv[3])))
s.sendto(payload, (sys.argv[1], int(sys.argv[2])))
data, peer = s.recvfrom(65536)
print('same' if data == payload else 'different', len(data))
`;

for (const offload of [false, true]) {
  describe.skipIf(peers.skip)(
    `netrx link vxlan against the Linux kernel (tx checksum offload ${offload ? 'on' : 'off'})`,
    () => {
      let lab: VxlanLab;
      let netrx: ChildProcess;
      const dir = mkdtempSync(join(tmpdir(), 'netrx-vxlan-'));
      const pcap = join(dir, 'seen.pcapng');

      beforeAll(async () => {
        console.info(
          `peers: kernel ${versionOf('uname', ['-r'])}; ${versionOf('ping', ['-V'])}; ${versionOf('arping', ['-V'])}; ${versionOf('python3')}`,
        );
        lab = createVxlanLab(offload ? 'on' : 'of', { offload });
        netrx = lab.spawnIn(lab.netrxNs, [
          process.execPath,
          main,
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
          '--ip6',
          `${LAB.netrxIp6}/64`,
          '--udp-echo',
          '7',
          '--pcap',
          pcap,
          ...(offload ? ['--trust-checksums'] : []),
        ]);
        await waitForOutput(netrx, /^ready$/m);
      });

      afterAll(() => lab?.destroy());

      it('answers arping', () => {
        const result = lab.exec(lab.kernelNs, [
          'arping',
          '-c',
          '2',
          '-w',
          '5',
          '-I',
          'vx0',
          LAB.netrxIp,
        ]);
        expect(result.stdout).toMatch(
          new RegExp(
            `reply from ${LAB.netrxIp.replace(/\./g, '\\.')} \\[${LAB.netrxMac.toUpperCase()}\\]`,
            'i',
          ),
        );
        expect(result.status).toBe(0);
      });

      it('answers ping for payload sizes from 0 to the MTU', () => {
        for (const size of [0, 1, 56, 1000, 1422]) {
          const result = lab.exec(lab.kernelNs, [
            'ping',
            '-c',
            '2',
            '-i',
            '0.2',
            '-W',
            '2',
            '-s',
            String(size),
            LAB.netrxIp,
          ]);
          expect(result.stdout, `ping -s ${size}`).toMatch(/2 received/);
        }
      });

      it('leaves the kernel with a REACHABLE neighbour entry for netrx', () => {
        lab.exec(lab.kernelNs, ['ping', '-c', '1', '-W', '2', LAB.netrxIp]);
        const neigh = lab.exec(lab.kernelNs, ['ip', 'neigh', 'show', LAB.netrxIp, 'dev', 'vx0']);
        expect(neigh.stdout).toMatch(new RegExp(`lladdr ${LAB.netrxMac} (REACHABLE|DELAY|STALE)`));
        expect(neigh.stdout).toContain('REACHABLE');
      });

      it('answers ping -6 (neighbour discovery first)', () => {
        const result = lab.exec(lab.kernelNs, [
          'ping',
          '-6',
          '-c',
          '2',
          '-i',
          '0.2',
          '-W',
          '2',
          '-s',
          '56',
          LAB.netrxIp6,
        ]);
        expect(result.stdout).toMatch(/2 received/);
        const big = lab.exec(lab.kernelNs, [
          'ping',
          '-6',
          '-c',
          '1',
          '-W',
          '2',
          '-s',
          '1402',
          LAB.netrxIp6,
        ]);
        expect(big.stdout).toMatch(/1 received/);
      });

      it('echoes a kernel UDP datagram back, over IPv4 and IPv6', () => {
        for (const address of [LAB.netrxIp, LAB.netrxIp6]) {
          const result = lab.exec(lab.kernelNs, [
            'python3',
            '-c',
            UDP_PROBE,
            address,
            '7',
            offload ? 'on' : 'off',
          ]);
          expect(result.stderr).toBe('');
          expect(result.stdout.trim()).toBe(`netrx interop ${offload ? 'on' : 'off'} 7`);
        }
      });

      it('answers a fragmented ping -s 4000 and echoes 4 KiB of UDP, over IPv4 and IPv6', () => {
        for (const family of ['-4', '-6']) {
          const result = lab.exec(lab.kernelNs, [
            'ping',
            family,
            '-c',
            '2',
            '-i',
            '0.2',
            '-W',
            '2',
            '-s',
            '4000',
            family === '-4' ? LAB.netrxIp : LAB.netrxIp6,
          ]);
          expect(result.stdout, `ping ${family} -s 4000`).toMatch(/2 received/);
        }
        for (const address of [LAB.netrxIp, LAB.netrxIp6]) {
          const result = lab.exec(lab.kernelNs, [
            'python3',
            '-c',
            BIG_UDP_PROBE,
            address,
            '7',
            '4096',
          ]);
          expect(result.stderr).toBe('');
          expect(result.stdout.trim()).toBe('same 4096');
        }
      });

      it('records what it saw in a pcapng file that reads back', async () => {
        const exited = new Promise<number | null>((r) => netrx.once('exit', (code) => r(code)));
        netrx.kill('SIGTERM'); // netrx stops cleanly: sockets closed, the pcap file flushed
        expect(await exited).toBe(0);
        const info = await pcapInfo(pcap);
        expect(info.format).toBe('pcapng');
        expect(info.frames).toBeGreaterThan(10);
      });
    },
  );
}

describe.skipIf(peers.skip)('netrx up with a link.vxlan section, against the Linux kernel', () => {
  let lab: VxlanLab;
  let netrx: ChildProcess;
  beforeAll(async () => {
    lab = createVxlanLab('up', { offload: false });
    const config = join(mkdtempSync(join(tmpdir(), 'netrx-up-')), 'netrx.yaml');
    writeFileSync(
      config,
      [
        'http: { port: 0 }',
        'link:',
        '  vxlan:',
        `    - { bind: "${LAB.underlayNetrx}:${LAB.port}", remote: "${LAB.underlayKernel}:${LAB.port}", vni: ${LAB.vni}, mac: "${LAB.netrxMac}", ipv4: ["${LAB.netrxIp}/24"] }`,
      ].join('\n'),
    );
    netrx = lab.spawnIn(lab.netrxNs, [process.execPath, main, 'up', '--config', config]);
    await waitForOutput(netrx, /press Ctrl-C/);
  });
  afterAll(() => lab?.destroy());

  it('answers ping, and stops cleanly on Ctrl-C', async () => {
    const result = lab.exec(lab.kernelNs, ['ping', '-c', '2', '-i', '0.2', '-W', '2', LAB.netrxIp]);
    expect(result.stdout).toMatch(/2 received/);
    const exited = new Promise<number | null>((r) => netrx.once('exit', (code) => r(code)));
    netrx.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
