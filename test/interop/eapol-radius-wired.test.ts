import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { createVxlanLab, LAB, type VxlanLab } from './support/netns.js';
import { kernelPingsNetrx, NETRX_MAIN, spawnNetrxVxlan } from './support/netrx-vxlan.js';
import { stopChild, watchChild, type Watched } from './support/processes.js';

/**
 * Wired 802.1X through the RADIUS pass-through (docs/eapol.md, docs/radius.md):
 * wpa_supplicant -D wired on the kernel namespace's vx0 authenticates against
 * `netrx link vxlan --8021x-authenticator --radius …`, which relays every EAP
 * packet to `netrx radius serve` in netrx's namespace (on its underlay
 * address). EAP-MD5 and EAP-MSCHAPv2 succeed, a wrong password is refused,
 * and the controlled port follows. Versions are printed.
 */
const peers = requirePeers('eapol-radius-wired interop', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
  {
    name: 'wpa_supplicant',
    ok: () => commandExists('wpa_supplicant'),
    hint: 'apt-get install wpasupplicant',
  },
]);

const dir = mkdtempSync(join(tmpdir(), 'netrx-eapol-radius-'));

function wpaConfig(method: 'MD5' | 'MSCHAPV2', password: string): string {
  const file = join(dir, `wpa-${method}-${password}.conf`);
  writeFileSync(
    file,
    [
      'ap_scan=0',
      'eapol_version=2',
      'network={',
      '  key_mgmt=IEEE8021X',
      `  eap=${method}`,
      '  identity="bob"',
      `  password="${password}"`,
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

const RADIUS_PORT = 18120;

describe.skipIf(peers.skip)(
  'wpa_supplicant -D wired → netrx authenticator → RADIUS → netrx radius serve',
  () => {
    let lab: VxlanLab;
    let radius: ChildProcess;
    let authenticator: ChildProcess;
    let log: Watched;
    let radiusLog: Watched;

    beforeAll(async () => {
      console.info(
        `peers: ${versionOf('wpa_supplicant', ['-v'])}; kernel ${versionOf('uname', ['-r'])}`,
      );
      lab = createVxlanLab('8r');
      radius = lab.spawnIn(lab.netrxNs, [
        process.execPath,
        NETRX_MAIN,
        'radius',
        'serve',
        '--host',
        LAB.underlayNetrx,
        '--port',
        String(RADIUS_PORT),
        '--secret',
        'testing123',
        '--client',
        `${LAB.underlayNetrx}/32`,
        '--user',
        'bob:hello',
      ]);
      radiusLog = watchChild(radius);
      await radiusLog.until(/^ready$/m);
      authenticator = spawnNetrxVxlan(lab, [
        '--8021x-authenticator',
        '--radius',
        `${LAB.underlayNetrx}:${RADIUS_PORT}`,
        '--radius-secret',
        'testing123',
      ]);
      log = watchChild(authenticator);
      await log.until(/^ready$/m);
    });

    afterAll(async () => {
      await stopChild(authenticator);
      await stopChild(radius);
      lab?.destroy();
    });

    it('keeps the kernel host out before it authenticates', () => {
      expect(kernelPingsNetrx(lab)).toBe(false);
    });

    for (const method of ['MD5', 'MSCHAPV2'] as const) {
      it(`authenticates wpa_supplicant with EAP-${method} through RADIUS; the kernel host then pings netrx`, async () => {
        const wpa = lab.spawnIn(lab.kernelNs, [
          'wpa_supplicant',
          '-D',
          'wired',
          '-i',
          'vx0',
          '-c',
          wpaConfig(method, 'hello'),
        ]);
        const out = watchChild(wpa);
        try {
          await out.until(/CTRL-EVENT-EAP-SUCCESS/);
          expect(out.text()).toContain(
            `CTRL-EVENT-EAP-METHOD EAP vendor 0 method ${method === 'MD5' ? '4 (MD5)' : '26 (MSCHAPV2)'} selected`,
          );
          await out.until(/CTRL-EVENT-CONNECTED/);
          await log.until(
            new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" success \\(Access-Accept`),
          );
          expect(kernelPingsNetrx(lab)).toBe(true);
        } finally {
          await stopChild(wpa);
        }
      });
    }

    it('a wrong password: Access-Reject, EAP-Failure, and the kernel host is out', async () => {
      const wpa = lab.spawnIn(lab.kernelNs, [
        'wpa_supplicant',
        '-D',
        'wired',
        '-i',
        'vx0',
        '-c',
        wpaConfig('MD5', 'wrong'),
      ]);
      const out = watchChild(wpa);
      try {
        await out.until(/CTRL-EVENT-EAP-FAILURE/);
        await log.until(new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" failure`));
        expect(kernelPingsNetrx(lab)).toBe(false);
      } finally {
        await stopChild(wpa);
      }
    });

    it('counts the RADIUS exchange in its final statistics, with nothing dropped', async () => {
      await stopChild(authenticator, 'SIGINT');
      const last = log.text().trimEnd().split('\n').at(-1) ?? '';
      const stats = JSON.parse(last) as {
        ieee8021x: {
          authenticator: {
            succeeded: number;
            failed: number;
            radius: { accepted: number; rejected: number; dropped: Record<string, number> };
          };
        };
      };
      expect(stats.ieee8021x.authenticator).toMatchObject({ succeeded: 2, failed: 1 });
      expect(stats.ieee8021x.authenticator.radius).toMatchObject({
        accepted: 2,
        rejected: 1,
        dropped: {},
      });
    });
  },
);
