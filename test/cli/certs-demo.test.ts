import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    untilStopped: () => Promise.resolve(),
  };
  return { io, out, err };
}

describe('netrx certs demo', () => {
  it('writes the five files, prints their paths, and the chain verifies', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'netrx-certs-cli-')), 'certs');
    const { io, out, err } = capture();
    expect(await runCli(['certs', 'demo', '--out', dir], io)).toBe(0);
    expect(out).toEqual(
      ['ca.pem', 'server.pem', 'server-key.pem', 'client.pem', 'client-key.pem'].map((f) =>
        join(dir, f),
      ),
    );
    expect(err.join('\n')).toMatch(/never commit/);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    const server = new X509Certificate(readFileSync(join(dir, 'server.pem')));
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost('radius.netrx.test')).toBe('radius.netrx.test');
    expect(statSync(join(dir, 'server-key.pem')).mode & 0o077).toBe(0);
  });

  it('refuses to replace an existing set without --force (exit 1), replaces it with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netrx-certs-cli-'));
    expect(await runCli(['certs', 'demo', '--out', dir], capture().io)).toBe(0);
    const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const second = capture();
    expect(await runCli(['certs', 'demo', '--out', dir], second.io)).toBe(1);
    expect(second.err).toEqual([
      `netrx certs demo: ${join(dir, 'ca.pem')}: already exists (--force replaces the set)`,
    ]);
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(before);
    const forced = capture();
    expect(
      await runCli(
        ['certs', 'demo', '--out', dir, '--force', '--key', 'rsa', '--server-name', 'aaa.example'],
        forced.io,
      ),
    ).toBe(0);
    const server = new X509Certificate(readFileSync(join(dir, 'server.pem')));
    expect(server.publicKey.asymmetricKeyType).toBe('rsa');
    expect(server.subjectAltName).toBe('DNS:aaa.example');
  });

  it('usage mistakes exit 2 with one line', async () => {
    for (const args of [
      ['certs', 'demo'],
      ['certs', 'demo', '--out', '/tmp/x', '--key', 'dsa'],
      ['certs', 'demo', '--out', '/tmp/x', '--days', '0'],
      ['certs', 'demo', '--out', '/tmp/x', '--server-name', 'bad name'],
    ]) {
      const { io, err } = capture();
      expect(await runCli(args, io)).toBe(2);
      expect(err).toHaveLength(1);
    }
  });
});
