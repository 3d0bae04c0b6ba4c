/**
 * tshark captures live through `netrx capture extcap` from a `netrx capture
 * serve` host while VXLAN traffic flows: the Linux kernel (a real VXLAN
 * device in one network namespace) pings the netrx host of `capture serve
 * --link-vxlan …` (in another, as in link-vxlan.test.ts), and tshark, in
 * the host's namespace, runs `-i netrx -c N` through the launcher. The
 * frames tshark wrote must be a run of the frames the host recorded itself
 * (`pcap=` of --link-vxlan: every frame whole, straight from its capture
 * tap), byte for byte in their first 128 bytes, with length and direction.
 * Namespaces are named ce-x{k,n}PID and removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcapFile } from '../../src/node/link/index.js';
import { createVxlanLab, LAB, waitForOutput, type VxlanLab } from './support/netns.js';
import { commandExists, isRoot, versionOf } from './support/peers.js';
import {
  expected,
  EXTCAP_TEST_TIMEOUT_MS,
  extcapHome,
  extcapTiming,
  extcapPeers,
  main,
  netrxCapture,
  problems,
  spawnTshark,
  tsharkFrames,
  until,
} from './support/extcap-tools.js';

const peers = extcapPeers('capture-extcap-vxlan.test.ts', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
  { name: 'ethtool', ok: () => commandExists('ethtool'), hint: 'apt-get install ethtool' },
]);

describe.skipIf(peers.skip)(
  'capture extcap over VXLAN: tshark -i netrx, the kernel pinging',
  () => {
    let lab: VxlanLab;
    let serve: ChildProcess;
    let url = '';
    const dir = mkdtempSync(join(tmpdir(), 'ce-vxlan-'));
    const hostPcap = join(dir, 'host.pcapng');

    beforeAll(async () => {
      console.info(`peers: kernel ${versionOf('uname', ['-r'])}; ${versionOf('ping', ['-V'])}`);
      chmodSync(dir, 0o777);
      lab = createVxlanLab('cx', { offload: false });
      serve = lab.spawnIn(lab.netrxNs, [
        process.execPath,
        main,
        'capture',
        'serve',
        '--session',
        'vxlan',
        '--rpc-port',
        '0',
        '--insecure-no-auth',
        '--timer-ms',
        '100',
        '--link-vxlan',
        `bind=${LAB.underlayNetrx}:${LAB.port},remote=${LAB.underlayKernel}:${LAB.port},vni=${LAB.vni},mac=${LAB.netrxMac},ip=${LAB.netrxIp}/24,udp-echo=7,pcap=${hostPcap}`,
      ]);
      const output = await waitForOutput(serve, /^ready$/m);
      url = /listening on (rpc:\/\/\S+)/.exec(output)?.[1] ?? '';
      expect(url).toMatch(/^rpc:\/\/127\.0\.0\.1:\d+$/);
    });

    afterAll(() => lab?.destroy());

    it(
      'writes a run of the frames the host saw, byte for byte (first 128), while the kernel pings it',
      async () => {
        const home = await extcapHome();
        const { openBudget } = extcapTiming(home);
        const out = join(home.home, 'vxlan.pcapng');
        const count = 30;
        // tshark in the host's namespace, where the capture server listens on loopback.
        const tshark = spawnTshark(
          home,
          netrxCapture(url, 'vxlan', ['-c', String(count), '-w', out]),
          { netns: lab.netrxNs },
        );
        // The kernel pings (sizes below and above the truncation) until tshark has its count
        // (no -c: however long tshark takes to start, the pings last until the finally below).
        const ping = spawn('ip', [
          'netns',
          'exec',
          lab.kernelNs,
          'ping',
          '-i',
          '0.1',
          '-s',
          '600',
          LAB.netrxIp,
        ]);
        try {
          // Reaching the session as the load allows, then 30 frames at 10 pings a second.
          await until(
            () => tshark.finished,
            openBudget + 25_000,
            `tshark capturing ${count} frames: ${tshark.stderr}`,
          );
          expect(await tshark.exited, tshark.stderr).toBe(0);
        } finally {
          ping.kill('SIGINT');
          tshark.interrupt();
        }
        const stopped = new Promise<number | null>((done) => serve.once('exit', done));
        serve.kill('SIGTERM'); // the host's own record is flushed and closed
        expect(await stopped).toBe(0);

        const seen: { data: Uint8Array; direction: 'in' | 'out' }[] = [];
        for await (const record of readPcapFile(hostPcap)) {
          seen.push({
            data: record.data.slice(),
            direction: record.flags?.direction === 'inbound' ? 'in' : 'out',
          });
        }
        const frames = tsharkFrames(out);
        expect(frames).toHaveLength(count);
        const want = expected(seen);
        // Where the live capture starts in the host's record: echo requests and replies are unique.
        const start = want.findIndex(
          (f) => f.raw === frames[0]?.raw && f.direction === frames[0]?.direction,
        );
        expect(start).toBeGreaterThanOrEqual(0);
        expect(frames).toEqual(want.slice(start, start + count));
        expect(frames.some((f) => f.len > 128 && f.capLen === 128)).toBe(true);
        expect(new Set(frames.map((f) => f.direction)).size).toBe(2);
        expect(problems(out)).toEqual([]);
      },
      EXTCAP_TEST_TIMEOUT_MS,
    );
  },
);
