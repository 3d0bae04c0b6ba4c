import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { createVxlanLab, LAB, type VxlanLab } from './support/netns.js';
import { kernelPingsNetrx, spawnNetrxVxlan } from './support/netrx-vxlan.js';
import { stopChild, watchChild, type Watched } from './support/processes.js';

/**
 * Wired 802.1X over VXLAN (docs/eapol.md): the kernel namespace's vx0 and
 * netrx's VXLAN adapter are one Ethernet segment. wpa_supplicant -D wired on
 * vx0 authenticates (EAP-MD5) against `netrx link vxlan
 * --8021x-authenticator`, whose controlled port keeps the kernel's pings
 * out until then; and hostapd (driver=wired, its internal EAP server)
 * authenticates `netrx link vxlan --8021x-supplicant`. Versions are printed.
 */
const peers = requirePeers('eapol-wired interop', [
  { name: 'root', ok: isRoot, hint: 'network namespaces need root' },
  { name: 'ip', ok: () => commandExists('ip'), hint: 'apt-get install iproute2' },
  { name: 'nsenter', ok: () => commandExists('nsenter'), hint: 'util-linux' },
  { name: 'ping', ok: () => commandExists('ping'), hint: 'apt-get install iputils-ping' },
  {
    name: 'wpa_supplicant',
    ok: () => commandExists('wpa_supplicant'),
    hint: 'apt-get install wpasupplicant',
  },
  { name: 'hostapd', ok: () => commandExists('hostapd'), hint: 'apt-get install hostapd' },
]);

const dir = mkdtempSync(join(tmpdir(), 'netrx-eapol-'));

function wpaConfig(password: string): string {
  const file = join(dir, `wpa-${password}.conf`);
  writeFileSync(
    file,
    [
      'ap_scan=0',
      'eapol_version=2',
      'network={',
      '  key_mgmt=IEEE8021X',
      '  eap=MD5',
      '  identity="bob"',
      `  password="${password}"`,
      '  eapol_flags=0',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(peers.skip)(
  'wpa_supplicant -D wired against the netrx authenticator over VXLAN',
  () => {
    let lab: VxlanLab;
    let authenticator: ChildProcess;
    let log: Watched;

    beforeAll(async () => {
      console.info(
        `peers: ${versionOf('wpa_supplicant', ['-v'])}; kernel ${versionOf('uname', ['-r'])}`,
      );
      lab = createVxlanLab('8a');
      authenticator = spawnNetrxVxlan(lab, ['--8021x-authenticator', '--user', 'bob:hello']);
      log = watchChild(authenticator);
      await log.until(/^ready$/m);
    });

    afterAll(() => lab?.destroy());

    it('keeps the kernel host out before it authenticates (only EAPOL passes the controlled port)', () => {
      expect(kernelPingsNetrx(lab)).toBe(false);
    });

    it('authenticates wpa_supplicant with EAP-MD5, after which the kernel host pings netrx', async () => {
      const wpa = lab.spawnIn(lab.kernelNs, [
        'wpa_supplicant',
        '-D',
        'wired',
        '-i',
        'vx0',
        '-c',
        wpaConfig('hello'),
      ]);
      const out = watchChild(wpa);
      try {
        await out.until(/CTRL-EVENT-EAP-SUCCESS/);
        expect(out.text()).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 4 (MD5) selected');
        await out.until(/CTRL-EVENT-CONNECTED/);
        await log.until(new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" success`));
        expect(kernelPingsNetrx(lab)).toBe(true);
      } finally {
        await stopChild(wpa);
      }
    });

    it('refuses a wrong password, and the kernel host is out again', async () => {
      const wpa = lab.spawnIn(lab.kernelNs, [
        'wpa_supplicant',
        '-D',
        'wired',
        '-i',
        'vx0',
        '-c',
        wpaConfig('wrong'),
      ]);
      const out = watchChild(wpa);
      try {
        await out.until(/CTRL-EVENT-EAP-FAILURE/);
        expect(out.text()).not.toContain('CTRL-EVENT-EAP-SUCCESS');
        await log.until(new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" failure`));
        expect(kernelPingsNetrx(lab)).toBe(false);
      } finally {
        await stopChild(wpa);
      }
    });

    it('counts both ends in its final statistics', async () => {
      await stopChild(authenticator, 'SIGINT');
      const last = log.text().trimEnd().split('\n').at(-1) ?? '';
      const stats = JSON.parse(last) as {
        ieee8021x: { authenticator: { succeeded: number; failed: number; starts: number } };
      };
      expect(stats.ieee8021x.authenticator).toMatchObject({ succeeded: 1, failed: 1 });
      expect(stats.ieee8021x.authenticator.starts).toBeGreaterThanOrEqual(2);
    });
  },
);

describe.skipIf(peers.skip)(
  'the netrx supplicant against hostapd (driver=wired, internal EAP server)',
  () => {
    let lab: VxlanLab;
    let hostapd: ChildProcess;
    let hostapdLog: Watched;

    beforeAll(async () => {
      console.info(`peers: ${versionOf('hostapd', ['-v'])}`);
      lab = createVxlanLab('8h');
      const users = join(dir, 'eap_user');
      writeFileSync(users, '"bob" MD5 "hello"\n');
      const config = join(dir, 'hostapd.conf');
      writeFileSync(
        config,
        [
          'interface=vx0',
          'driver=wired',
          'ieee8021x=1',
          'eapol_version=2',
          'use_pae_group_addr=1',
          'eap_server=1',
          `eap_user_file=${users}`,
          'logger_stdout=-1',
          'logger_stdout_level=1',
          '',
        ].join('\n'),
      );
      hostapd = lab.spawnIn(lab.kernelNs, ['hostapd', config]);
      hostapdLog = watchChild(hostapd);
      await hostapdLog.until(/AP-ENABLED/);
    });

    afterAll(async () => {
      await stopChild(hostapd);
      lab?.destroy();
    });

    it('authenticates netrx with EAP-MD5 (hostapd authorises its port)', async () => {
      const supplicant = spawnNetrxVxlan(lab, ['--8021x-supplicant', 'bob:hello']);
      const out = watchChild(supplicant);
      try {
        await out.until(new RegExp(`802\\.1X supplicant: success by ${LAB.kernelMac}`));
        await hostapdLog.until(new RegExp(`CTRL-EVENT-EAP-SUCCESS ${LAB.netrxMac}`));
        await hostapdLog.until(new RegExp(`STA ${LAB.netrxMac} IEEE 802\\.1X: authorizing port`));
      } finally {
        await stopChild(supplicant, 'SIGINT');
      }
    });

    it('is refused with a wrong password', async () => {
      const supplicant = spawnNetrxVxlan(lab, ['--8021x-supplicant', 'bob:wrong']);
      const out = watchChild(supplicant);
      try {
        await out.until(/802\.1X supplicant: failure by /);
        await hostapdLog.until(new RegExp(`CTRL-EVENT-EAP-FAILURE ${LAB.netrxMac}`));
      } finally {
        await stopChild(supplicant, 'SIGINT');
      }
    });
  },
);
