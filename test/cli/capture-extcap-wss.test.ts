/**
 * `netrx capture extcap` over wss:// with the bearer token and a CA file,
 * against netrx's WebSocket capture server (TLS with `netrx certs demo`
 * certificates): the frames written are the frames the host saw; a wrong
 * token, an untrusted certificate and a token for rpc:// are refused with
 * one line.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { DEMO_SERVER_NAME } from '../../src/node/certs/index.js';
import { readCapture } from '../../src/wire/index.js';
import { startCaptureLab } from '../interop/support/capture-lab.js';
import { io, sleep, until } from '../support/cli-io.js';

const TOKEN = 'an-extcap-token-of-32-characters';

async function demoCerts() {
  const dir = mkdtempSync(join(tmpdir(), 'ce-wss-'));
  expect(await runCli(['certs', 'demo', '--out', dir], io().cli)).toBe(0);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    tls: {
      cert: new Uint8Array(readFileSync(join(dir, 'server.pem'))),
      key: new Uint8Array(readFileSync(join(dir, 'server-key.pem'))),
    },
  };
}

const capture = (file: string, server: string, session: string, ...more: string[]) => [
  'capture',
  'extcap',
  '--capture',
  '--extcap-interface',
  'netrx',
  '--fifo',
  file,
  '--server',
  server,
  '--session',
  session,
  ...more,
];

describe('netrx capture extcap over wss:// with a token', () => {
  it('captures through TLS (the demo CA, the server name) with the bearer token: frames = seen', async () => {
    const certs = await demoCerts();
    const lab = await startCaptureLab(
      'netrx-ce-wss',
      { timerMs: 100 },
      { token: TOKEN, tls: certs.tls },
    );
    const file = join(certs.dir, 'wss.pcapng');
    const session = io();
    const capturing = runCli(
      capture(
        file,
        lab.wsUrl as string,
        lab.session,
        '--token',
        TOKEN,
        '--ca',
        certs.ca,
        '--servername',
        DEMO_SERVER_NAME,
      ),
      session.cli,
    );
    try {
      await until(() => lab.openHandles() > 0 || session.err.length > 0, 10_000, 'the open');
      expect(session.err).toEqual([]);
      for (let i = 0; i < 10; i++) {
        lab.traffic(3);
        await sleep(20);
      }
      const want = lab.seen.length;
      await until(
        () => {
          const read = readCapture(new Uint8Array(readFileSync(file)));
          return read.ok && read.value.records.length >= want;
        },
        10_000,
        `${want} packets in the file`,
      );
    } finally {
      session.stop();
    }
    expect(await capturing).toBe(0);
    expect(session.err).toEqual([]);
    const read = readCapture(new Uint8Array(readFileSync(file)));
    if (!read.ok) throw new Error(read.failure.message);
    expect(read.value.records.map((r) => Buffer.from(r.data).toString('hex'))).toEqual(
      lab.seen.map((f) => Buffer.from(f.data.subarray(0, 128)).toString('hex')),
    );
    expect(lab.unauthorized()).toBe(0);
    await until(() => lab.openHandles() === 0, 5000, 'the handle closed');
    await lab.close();
  }, 30_000);

  it('refuses a wrong token (401), an unverified certificate, and a token for rpc://', async () => {
    const certs = await demoCerts();
    const lab = await startCaptureLab(
      'netrx-ce-wss2',
      { timerMs: 100 },
      { token: TOKEN, tls: certs.tls },
    );
    try {
      const file = join(certs.dir, 'x.pcapng');
      const wrong = io();
      const args = ['--ca', certs.ca, '--servername', DEMO_SERVER_NAME];
      expect(
        await runCli(
          capture(file, lab.wsUrl as string, lab.session, '--token', 'x'.repeat(32), ...args),
          wrong.cli,
        ),
      ).toBe(1);
      expect(wrong.err.join('\n')).toContain('401');
      expect(lab.unauthorized()).toBe(1);
      const untrusted = io(); // no --ca: the demo CA is nobody's system CA
      expect(
        await runCli(
          capture(file, lab.wsUrl as string, lab.session, '--token', TOKEN),
          untrusted.cli,
        ),
      ).toBe(1);
      expect(untrusted.err.join('\n')).toMatch(/certificate|self.signed|issuer/i);
      expect(statSync(file).size).toBeGreaterThan(0); // the header went out: dumpcap sees the end
      const rpc = io();
      expect(await runCli(capture(file, lab.url, lab.session, '--token', TOKEN), rpc.cli)).toBe(2);
      expect(rpc.err.join('\n')).toContain('--token is for ws:// and wss:// servers');
      // Wireshark passes a field left empty as "": that is no token.
      const empty = io();
      const emptyRun = runCli(
        capture(file, lab.url, lab.session, '--token', '', '--ca', ''),
        empty.cli,
      );
      await until(() => lab.openHandles() > 0 || empty.err.length > 0, 10_000, 'the rpc open');
      empty.stop();
      expect(await emptyRun).toBe(0);
    } finally {
      await lab.close();
    }
  }, 30_000);
});
