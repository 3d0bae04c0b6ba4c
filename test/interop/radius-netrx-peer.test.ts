/**
 * The netrx peer (`netrx radius test`) against `netrx radius serve --certs`,
 * both from dist/, over UDP on 127.0.0.1: EAP-TLS, PEAPv0/EAP-MSCHAPv2,
 * TTLS/PAP and TTLS/EAP-MSCHAPv2 negotiate TLS 1.3 (both sides allow 1.2 to
 * 1.3), the server's MS-MPPE keys equal the peer's and its EAP-Key-Name the
 * peer's Session-Id (RFC 9427 §2.1: Type 0x19 / 0x15 ‖ Method-Id). Regression:
 * TTLS/PAP hung here (the server ignored the AVPs that came with the peer's
 * Finished, the peer then failed in pending work and the RADIUS client
 * waited forever), so the CLI peer had been held at TLS 1.2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ran, stopped, watched, type Watched } from './support/processes.js';

const root = resolve(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'cli', 'main.js');
const SECRET = 'interop-netrx-secret';
const dir = mkdtempSync(join(tmpdir(), 'netrx-radius-peer-'));
const certs = join(dir, 'certs');

describe('netrx radius test against netrx radius serve --certs (TLS 1.3)', () => {
  let server: Watched | undefined;
  let port: number;

  beforeAll(async () => {
    const made = await ran(process.execPath, [main, 'certs', 'demo', '--out', certs]);
    if (made.code !== 0) throw new Error(`netrx certs demo failed:\n${made.text}`);
    server = watched(process.execPath, [
      main,
      'radius',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--secret',
      SECRET,
      '--user',
      'bob:hello',
      '--certs',
      certs,
    ]);
    port = Number((await server.until(/^listening on udp 127\.0\.0\.1:(\d+)/m))[1]);
    await server.until(/^ready$/m);
  });
  afterAll(async () => {
    await stopped(server);
    rmSync(dir, { recursive: true, force: true });
  });

  const test = (method: string, password = 'hello') =>
    ran(process.execPath, [
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
      '--timeout',
      '3000',
    ]);

  it.each(['tls', 'peap', 'ttls-pap', 'ttls-mschapv2'])(
    '%s: TLSv1.3, MPPE keys and EAP-Key-Name match, SUCCESS',
    async (method) => {
      const run = await test(method);
      expect(run.text).toMatch(/^EAP success: .*\(TLSv1\.3\)$/m);
      expect(run.text).toMatch(/^MPPE keys match$/m);
      expect(run.text).toMatch(/^EAP-Key-Name match$/m);
      expect(run.text).toMatch(/^SUCCESS$/m);
      expect(run.code).toBe(0);
    },
  );

  it.each(['peap', 'ttls-pap', 'ttls-mschapv2'])(
    '%s with a wrong password: FAILURE: Access-Reject, exit 1 (no hang)',
    async (method) => {
      const run = await test(method, 'wrong');
      expect(run.text).toMatch(/^FAILURE: Access-Reject/m);
      expect(run.code).toBe(1);
    },
  );
});
