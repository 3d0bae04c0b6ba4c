/**
 * `netrx radius test` (the netrx EAP peer and RADIUS client, from dist/)
 * against hostapd 2.10's internal EAP server as a standalone RADIUS server
 * (Debian hostapd, `driver=none`, research/eap.md §4), a TLS stack nobody
 * here wrote (OpenSSL under wpa_supplicant's EAP code): EAP-TLS,
 * PEAPv0/EAP-MSCHAPv2, TTLS/PAP and TTLS/EAP-MSCHAPv2, each over TLS 1.3
 * (`tls_flags=[ENABLE-TLSv1.3]`, RFC 9190/RFC 9427) and TLS 1.2
 * (`[DISABLE-TLSv1.3]`). hostapd's MS-MPPE keys must equal the peer's MSK
 * halves and its EAP-Key-Name the peer's Session-Id (for TLS 1.3: Type ‖
 * TLS-Exporter("EXPORTER_EAP_TLS_Method-Id", Type, 64)); the peer names the
 * TLS version it negotiated. A wrong inner password ends in Access-Reject.
 *
 * hostapd listens on 127.0.0.1 at a port the kernel just gave out (hostapd
 * takes no port 0), with the `netrx certs demo` server certificate; it is
 * stopped by its PID.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  createMschapV2Method,
  createPeapMethod,
  createTlsMethod,
  createTtlsMethod,
  type EapMethod,
} from '../../src/eap/index.js';
import { nodeCrypto } from '../../src/node/runtime/index.js';
import { createNodeTlsEngineFactory } from '../../src/node/eap/index.js';
import { runRadiusEapTest } from '../../src/node/radius/index.js';
import { commandExists, requirePeers, versionOf } from './support/peers.js';
import { ran, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-hostapd-secret';
const RECORDED = { hostapd: '2:2.10-12+deb12u3' };

const peers = requirePeers('radius-hostapd interop', [
  { name: 'hostapd', ok: () => commandExists('hostapd'), hint: 'apt-get install hostapd' },
]);
const installed = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'hostapd'], {
  encoding: 'utf8',
}).stdout.trim();
console.info(`peers: ${versionOf('hostapd', ['-v'])} (hostapd ${installed || 'unknown'})`);
if (installed !== '' && installed !== RECORDED.hostapd) {
  console.warn(`[netrx interop] hostapd is ${installed}; checked with ${RECORDED.hostapd}`);
}

const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-hostapd-'));
const certs = join(dir, 'certs');

/** A UDP port the kernel hands out and takes back at once: hostapd needs a number. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  const port = socket.address().port;
  await new Promise<void>((done) => socket.close(done));
  return port;
}

async function startHostapd(
  tls13: boolean,
  resume = false,
): Promise<{ server: Watched; port: number }> {
  const name = `${tls13 ? 'tls13' : 'tls12'}${resume ? '-resume' : ''}`;
  const port = await freeUdpPort();
  const clients = join(dir, `${name}.clients`);
  const users = join(dir, `${name}.eap_user`);
  const config = join(dir, `${name}.conf`);
  writeFileSync(clients, `127.0.0.1/32 ${SECRET}\n`);
  // Phase 1 by outer identity (anonymous for the tunnels, bob for EAP-TLS), phase 2 with [2].
  writeFileSync(
    users,
    [
      '"bob" TLS',
      '"anonymous" PEAP,TTLS',
      '"bob" MSCHAPV2,TTLS-PAP,TTLS-MSCHAPV2 "hello" [2]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    config,
    [
      'driver=none',
      // driver=none opens no interface; the name only labels hostapd's log lines.
      `interface=netrx-hapd-${name}`,
      `radius_server_clients=${clients}`,
      `radius_server_auth_port=${port}`,
      'eap_server=1',
      `eap_user_file=${users}`,
      `ca_cert=${join(certs, 'ca.pem')}`,
      `server_cert=${join(certs, 'server.pem')}`,
      `private_key=${join(certs, 'server-key.pem')}`,
      `tls_flags=${tls13 ? '[ENABLE-TLSv1.3]' : '[DISABLE-TLSv1.3]'}`,
      ...(resume ? ['tls_session_lifetime=3600'] : []),
      '',
    ].join('\n'),
  );
  const server = watched('hostapd', ['-dd', config]);
  await server.until(/AP-ENABLED/);
  return { server, port };
}

type Method = 'tls' | 'peap' | 'ttls-pap' | 'ttls-mschapv2';

function radiusTest(port: number, method: Method, password = 'hello') {
  return ran(process.execPath, [
    main,
    'radius',
    'test',
    '--server',
    `127.0.0.1:${port}`,
    '--secret',
    SECRET,
    '--method',
    method,
    '--user',
    `bob:${password}`,
    '--certs',
    certs,
    '--server-name',
    'radius.netrx.test',
  ]);
}

const METHOD_NAME: Record<Method, string> = {
  tls: 'EAP-TLS',
  peap: 'PEAP',
  'ttls-pap': 'TTLS',
  'ttls-mschapv2': 'TTLS',
};

describe.skipIf(peers.skip)(
  'netrx radius test against hostapd (RADIUS server, eap_server=1)',
  () => {
    beforeAll(async () => {
      const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
      if (made.code !== 0) throw new Error(`netrx certs demo failed:\n${made.text}`);
    });

    for (const tls13 of [true, false]) {
      const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';
      describe(version, () => {
        let server: Watched | undefined;
        let port: number;

        beforeAll(async () => {
          ({ server, port } = await startHostapd(tls13));
        });
        afterAll(() => stopped(server));

        it.each(['tls', 'peap', 'ttls-pap', 'ttls-mschapv2'] as const)(
          `%s: SUCCESS over ${version}, MPPE keys and EAP-Key-Name match hostapd's`,
          async (method) => {
            const run = await radiusTest(port, method);
            expect(run.text).toMatch(new RegExp(`^EAP success: .*\\(${version}\\)$`, 'm'));
            expect(run.text).toMatch(
              new RegExp(`, method ${METHOD_NAME[method]}, \\d+ Access-Requests$`, 'm'),
            );
            expect(run.text).toMatch(/^MPPE keys match$/m);
            expect(run.text).toMatch(/^EAP-Key-Name match$/m);
            expect(run.text).toMatch(/^SUCCESS$/m);
            expect(run.code).toBe(0);
            const log = server?.text() ?? '';
            expect(log).toContain(`SSL: Using TLS version ${version}`);
            if (method === 'tls' && tls13)
              expect(log).toContain('EAP-TLS: Send Commitment Message');
          },
        );

        it.each(['peap', 'ttls-pap', 'ttls-mschapv2'] as const)(
          '%s with a wrong inner password: FAILURE: Access-Reject, exit 1',
          async (method) => {
            const run = await radiusTest(port, method, 'wrong');
            expect(run.text).toMatch(/^FAILURE: Access-Reject/m);
            expect(run.code).toBe(1);
          },
        );
      });
    }
  },
);

/**
 * Resumption with the netrx peer as a library (the CLI runs one authentication
 * per process): two authentications through one client engine factory with
 * `resumption`, against hostapd with `tls_session_lifetime=3600`. EAP-TLS and
 * TTLS/PAP resume; hostapd 2.10 sends a resumed EAP-TLS 1.3 session's Success
 * without the commitment message, which the peer accepts for a resumed
 * session only. PEAP under TLS 1.2: hostapd skips phase 2 on the resumed
 * session (Result TLV Success at once, with its Crypto-Binding TLV) and the
 * peer accepts that, because the session it resumed got through phase 2 the
 * first time; keys match. PEAP under TLS 1.3 is left out: hostapd drops its
 * pending NewSessionTicket record, so the next record fails with bad record
 * mac (docs/eap-tls13.md).
 */
describe.skipIf(peers.skip)('the netrx peer resumes TLS sessions with hostapd', () => {
  const read = (file: string) => readFileSync(join(certs, file), 'utf8');
  for (const tls13 of [true, false]) {
    const version = tls13 ? 'TLSv1.3' : 'TLSv1.2';
    describe(version, () => {
      let server: Watched | undefined;
      let port: number;
      beforeAll(async () => {
        const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
        if (made.code !== 0 && !/--force/.test(made.text)) throw new Error(made.text);
        ({ server, port } = await startHostapd(tls13, true));
      });
      afterAll(() => stopped(server));

      it.each(['tls', 'ttls-pap'] as const)(
        `%s: the second authentication resumes (${version}), keys and EAP-Key-Name match`,
        async (method) => {
          const engines = createNodeTlsEngineFactory({
            client: {
              ca: read('ca.pem'),
              serverName: 'radius.netrx.test',
              ...(method === 'tls'
                ? { cert: read('client.pem'), key: read('client-key.pem') }
                : {}),
            },
            maxVersion: version,
            resumption: { lifetimeSeconds: 600 },
          });
          const make = (): EapMethod =>
            method === 'tls'
              ? createTlsMethod({ engines })
              : createTtlsMethod({ engines, innerIdentity: 'bob' });
          const authenticate = () =>
            runRadiusEapTest({
              servers: [{ address: '127.0.0.1', port, secret: SECRET }],
              identity: method === 'tls' ? 'bob' : 'anonymous',
              password: 'hello',
              methods: [make()],
              timeoutMs: 3000,
              retries: 0,
            });
          const first = await authenticate();
          expect(first).toMatchObject({ outcome: 'success', keysMatch: true, keyNameMatch: true });
          expect(first.eap?.reason).toContain(`(${version})`);
          const second = await authenticate();
          expect(second).toMatchObject({ outcome: 'success', keysMatch: true, keyNameMatch: true });
          expect(second.eap?.reason).toContain(`(${version}, resumed)`);
          expect(second.requests).toBeLessThan(first.requests);
          expect(server?.text()).toContain('Handshake finished - resumed=1');
        },
      );

      // TLS 1.3 PEAP resumption stays out: hostapd 2.10 drops its pending NewSessionTicket
      // record there (bad record mac, docs/eap-tls13.md), which no peer can follow.
      if (tls13) return;
      it('peap: the second authentication resumes, hostapd skips phase 2, the peer accepts it; keys match', async () => {
        const engines = createNodeTlsEngineFactory({
          client: { ca: read('ca.pem'), serverName: 'radius.netrx.test' },
          maxVersion: version,
          resumption: { lifetimeSeconds: 600 },
        });
        const authenticate = () =>
          runRadiusEapTest({
            servers: [{ address: '127.0.0.1', port, secret: SECRET }],
            identity: 'anonymous',
            password: 'hello',
            methods: [
              createPeapMethod({
                engines,
                inner: createMschapV2Method({ crypto: nodeCrypto }),
                innerIdentity: 'bob',
              }),
            ],
            timeoutMs: 3000,
            retries: 0,
          });
        const first = await authenticate();
        expect(first).toMatchObject({ outcome: 'success', keysMatch: true });
        expect(first.eap?.reason).toBe('PEAP phase 2 succeeded (TLSv1.2)');
        const second = await authenticate();
        expect(second).toMatchObject({ outcome: 'success', keysMatch: true });
        expect(second.eap?.reason).toBe('PEAP phase 2 skipped (TLSv1.2, resumed)');
        expect(second.requests).toBeLessThan(first.requests);
        expect(server?.text()).toContain('EAP-PEAP: Resuming previous session - skip Phase2');
        // And again: a session resumed with phase 2 skipped may be resumed the same way.
        const third = await authenticate();
        expect(third).toMatchObject({ outcome: 'success', keysMatch: true });
        expect(third.eap?.reason).toBe('PEAP phase 2 skipped (TLSv1.2, resumed)');
      });
    });
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
