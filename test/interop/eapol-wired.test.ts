import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandExists, isRoot, requirePeers, versionOf } from './support/peers.js';
import { createVxlanLab, LAB, type VxlanLab } from './support/netns.js';

/**
 * Wired 802.1X over VXLAN (docs/eapol.md): the kernel namespace's vx0 and
 * netrx's VXLAN adapter are one Ethernet segment. wpa_supplicant -D wired on
 * vx0 authenticates (EAP-MD5) against `netrx link vxlan
 * --8021x-authenticator`, whose controlled port keeps the kernel's pings
 * out until then; and hostapd (driver=wired, its internal EAP server)
 * authenticates `netrx link vxlan --8021x-supplicant`. Versions are printed.
 */
const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
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

/** Everything a child prints (stdout and stderr), and a wait for a pattern in it. */
function watch(child: ChildProcess): {
  text: () => string;
  until: (pattern: RegExp, ms?: number) => Promise<void>;
} {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    text: () => text,
    until: (pattern, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (pattern.test(text)) {
            clearInterval(poll);
            resolve();
          } else if (child.exitCode !== null || Date.now() - started > ms) {
            clearInterval(poll);
            reject(new Error(`no ${String(pattern)} (exit ${child.exitCode}):\n${text}`));
          }
        }, 50);
      }),
  };
}

function netrx(lab: VxlanLab, extra: readonly string[]): ChildProcess {
  return lab.spawnIn(lab.netrxNs, [
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
    ...extra,
  ]);
}

function pings(lab: VxlanLab): boolean {
  const result = lab.exec(lab.kernelNs, ['ping', '-c', '2', '-i', '0.2', '-W', '1', LAB.netrxIp]);
  return !/ 0 received/.test(result.stdout) && /\d+ received/.test(result.stdout);
}

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

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child === undefined || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe.skipIf(peers.skip)(
  'wpa_supplicant -D wired against the netrx authenticator over VXLAN',
  () => {
    let lab: VxlanLab;
    let authenticator: ChildProcess;
    let log: ReturnType<typeof watch>;

    beforeAll(async () => {
      console.info(
        `peers: ${versionOf('wpa_supplicant', ['-v'])}; kernel ${versionOf('uname', ['-r'])}`,
      );
      lab = createVxlanLab('8a');
      authenticator = netrx(lab, ['--8021x-authenticator', '--user', 'bob:hello']);
      log = watch(authenticator);
      await log.until(/^ready$/m);
    });

    afterAll(() => lab?.destroy());

    it('keeps the kernel host out before it authenticates (only EAPOL passes the controlled port)', () => {
      expect(pings(lab)).toBe(false);
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
      const out = watch(wpa);
      try {
        await out.until(/CTRL-EVENT-EAP-SUCCESS/);
        expect(out.text()).toContain('CTRL-EVENT-EAP-METHOD EAP vendor 0 method 4 (MD5) selected');
        await out.until(/CTRL-EVENT-CONNECTED/);
        await log.until(new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" success`));
        expect(pings(lab)).toBe(true);
      } finally {
        await stop(wpa);
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
      const out = watch(wpa);
      try {
        await out.until(/CTRL-EVENT-EAP-FAILURE/);
        expect(out.text()).not.toContain('CTRL-EVENT-EAP-SUCCESS');
        await log.until(new RegExp(`802\\.1X authenticator: ${LAB.kernelMac} "bob" failure`));
        expect(pings(lab)).toBe(false);
      } finally {
        await stop(wpa);
      }
    });

    it('counts both ends in its final statistics', async () => {
      await stop(authenticator, 'SIGINT');
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
    let hostapdLog: ReturnType<typeof watch>;

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
      hostapdLog = watch(hostapd);
      await hostapdLog.until(/AP-ENABLED/);
    });

    afterAll(async () => {
      await stop(hostapd);
      lab?.destroy();
    });

    it('authenticates netrx with EAP-MD5 (hostapd authorises its port)', async () => {
      const supplicant = netrx(lab, ['--8021x-supplicant', 'bob:hello']);
      const out = watch(supplicant);
      try {
        await out.until(new RegExp(`802\\.1X supplicant: success by ${LAB.kernelMac}`));
        await hostapdLog.until(new RegExp(`CTRL-EVENT-EAP-SUCCESS ${LAB.netrxMac}`));
        await hostapdLog.until(new RegExp(`STA ${LAB.netrxMac} IEEE 802\\.1X: authorizing port`));
      } finally {
        await stop(supplicant, 'SIGINT');
      }
    });

    it('is refused with a wrong password', async () => {
      const supplicant = netrx(lab, ['--8021x-supplicant', 'bob:wrong']);
      const out = watch(supplicant);
      try {
        await out.until(/802\.1X supplicant: failure by /);
        await hostapdLog.until(new RegExp(`CTRL-EVENT-EAP-FAILURE ${LAB.netrxMac}`));
      } finally {
        await stop(supplicant, 'SIGINT');
      }
    });
  },
);
