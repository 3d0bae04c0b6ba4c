import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../command.js';
import { natsConnectionFlags } from './nats-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-nats-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'flagPw-Q7mX2kV9';

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The usage error `natsConnectionFlags` gives, or '' for none. */
function usage(values: Record<string, string>, servers: string | undefined = 'nats://h:1'): string {
  try {
    natsConnectionFlags(values, servers, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  return '';
}

describe('--nats connection flags', () => {
  it('reads the password and token from files (one trailing newline dropped)', () => {
    const passwordFile = file('pw', `${PASSWORD}\n`);
    expect(
      natsConnectionFlags(
        { 'nats-user': 'alice', 'nats-password-file': passwordFile },
        'nats://h:1,nats://k:2',
        'test',
      ),
    ).toEqual({
      servers: ['nats://h:1', 'nats://k:2'],
      name: 'test',
      auth: { kind: 'user', user: 'alice', password: PASSWORD },
      errorPrefix: '--nats',
    });
    expect(
      natsConnectionFlags({ 'nats-token-file': file('tok', 'tok-1\n') }, 'nats://h:1', 't')?.auth,
    ).toEqual({ kind: 'token', token: 'tok-1' });
  });

  it('checks an NKey seed file and takes TLS files with tls:// URLs', () => {
    const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
    const seedFile = file('u.nk', seed);
    const settings = natsConnectionFlags(
      { 'nats-nkey': seedFile, 'nats-tls-ca': '/ca.pem', 'nats-tls-server-name': 'n.test' },
      'tls://h:1',
      't',
    );
    expect(settings?.auth).toEqual({ kind: 'nkey', seedFile });
    expect(settings?.tls).toEqual({ ca: '/ca.pem', serverName: 'n.test' });
    const message = usage({ 'nats-nkey': file('bad.nk', seed.replace(/^SU/, 'SA')) });
    expect(message).toMatch(/^--nats-nkey: ".*bad\.nk": /);
    expect(message).not.toContain(seed.slice(2));
  });

  it('refuses what does not go together, naming the flag and no secret', () => {
    expect(usage({ 'nats-user': 'alice' })).toMatch(
      /--nats-user and --nats-password-file go together/,
    );
    const passwordFile = file('pw2', PASSWORD);
    const two = usage({
      'nats-user': 'alice',
      'nats-password-file': passwordFile,
      'nats-token-file': passwordFile,
    });
    expect(two).toMatch(/^give one kind of NATS credentials: --nats-user and --nats-token-file$/);
    expect(usage({ 'nats-tls-ca': '/ca.pem' })).toMatch(/^--nats-tls-ca needs tls:\/\/ URLs/);
    expect(usage({ 'nats-tls-cert': '/c.pem' }, 'tls://h:1')).toMatch(/go together/);
    expect(() => natsConnectionFlags({ 'nats-token-file': passwordFile }, undefined, 't')).toThrow(
      /^--nats-token-file needs --nats URL$/,
    );
    const inUrl = usage({}, `nats://alice:${PASSWORD}@h:1`);
    expect(inUrl).toMatch(/^--nats: no credentials in the URL/);
    expect(inUrl).not.toContain(PASSWORD);
    expect(usage({ 'nats-token-file': join(dir, 'absent') })).toMatch(
      /^--nats-token-file: cannot read ".*absent" \(ENOENT\)$/,
    );
    expect(usage({ 'nats-token-file': file('empty', '\n') })).toMatch(/is empty$/);
  });
});
