// Review D2 (rest), through `netrx up` itself: certbot-style renewal writes
// new contents to the http.tls paths, SIGHUP (the io's reload hook, as
// main.ts wires it) reloads, and a new TLS client is served the new
// certificate while a connection from before the reload stays open.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { createDemoCertificates } from '../../src/node/certs/demo.js';

const dir = mkdtempSync(join(tmpdir(), 'netrx-up-tls-renew-'));

function served(port: number): Promise<{ socket: TLSSocket; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.once('secureConnect', () =>
      resolve({ socket, fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? '' }),
    );
    socket.once('error', reject);
  });
}

describe('netrx up: SIGHUP serves a renewed http.tls certificate', () => {
  it('a TLS client after SIGHUP sees the new certificate; one from before stays open', async () => {
    const cert = join(dir, 'http.pem');
    const key = join(dir, 'http-key.pem');
    const install = () => {
      const certs = createDemoCertificates();
      writeFileSync(cert, certs.server.certPem);
      writeFileSync(key, certs.server.keyPem);
      return new X509Certificate(certs.server.certPem).fingerprint256;
    };
    const first = install();
    const file = join(dir, 'netrx.yaml');
    writeFileSync(
      file,
      `http: { port: 0, tls: { cert: ${JSON.stringify(cert)}, key: ${JSON.stringify(key)} } }\nradius: { enabled: false }\ncapture: { rpc: { enabled: false } }\nsynthetic: { enabled: false }\n`,
    );
    const lines: string[] = [];
    let reload: (() => void) | undefined;
    const seen = { before: '', after: '', second: '', oldOpen: false };
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      onReload: (listener) => {
        reload = listener;
        return () => (reload = undefined);
      },
      untilStopped: async () => {
        const port = Number(/https:\/\/127\.0\.0\.1:(\d+)\//.exec(lines.join('\n'))?.[1]);
        const old = await served(port);
        seen.before = old.fingerprint;
        seen.second = install();
        reload?.();
        const deadline = Date.now() + 10_000;
        while (!lines.some((l) => /reloaded:|reload refused/.test(l))) {
          if (Date.now() > deadline) throw new Error('no reload line');
          await new Promise((r) => setTimeout(r, 20));
        }
        const fresh = await served(port);
        seen.after = fresh.fingerprint;
        fresh.socket.destroy();
        seen.oldOpen = !old.socket.destroyed && old.socket.readyState === 'open';
        old.socket.destroy();
      },
    };
    expect(await runCli(['up', '--config', file], io)).toBe(0);
    expect(seen.before).toBe(first);
    expect(seen.after).toBe(seen.second);
    expect(seen.after).not.toBe(first);
    expect(seen.oldOpen).toBe(true);
    expect(lines.join('\n')).toContain('http.tls: serving the renewed certificate');
  });
});
