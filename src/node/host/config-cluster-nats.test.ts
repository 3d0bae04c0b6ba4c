import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoCertificates } from '../certs/demo.js';
import { ConfigError, validateHostConfig } from './config.js';
import { natsSettingsOf } from './config-cluster-nats.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-nats-config-'));
const PASSWORD = 'natsPw-Zc4Vn8Tq-secret';
const TOKEN = 'natsTok-9LkP4sZr-secret';
let seed = '';
let seedFile = '';
let credsFile = '';
let pem: { ca: string; cert: string; key: string; clientCert: string } = {
  ca: '',
  cert: '',
  key: '',
  clientCert: '',
};

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  seedFile = file('user.nk', `${seed}\n`);
  credsFile = file(
    'user.creds',
    `-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.sig\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  );
  const { files } = await writeDemoCertificates(join(dir, 'certs'));
  const [ca, cert, key, clientCert] = files as [string, string, string, string, string];
  pem = { ca, cert, key, clientCert };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one ConfigError `value` gets (its message), or '' when it is valid. */
function problem(value: unknown): string {
  try {
    validateHostConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return '';
}

const nats = (extra: Record<string, unknown>, servers = ['nats://127.0.0.1:4222']) => ({
  cluster: { nats: { servers, ...extra } },
});

describe('cluster.nats', () => {
  it('is off by default; with servers and no credentials it is a plain connection', () => {
    expect(validateHostConfig({}).cluster.nats.servers).toEqual([]);
    const config = validateHostConfig(nats({}));
    expect(natsSettingsOf(config.cluster.nats)).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      name: 'netrx up',
      auth: { kind: 'none' },
      errorPrefix: 'cluster.nats',
    });
  });

  it('takes each kind of credentials alone', () => {
    const settings = (extra: Record<string, unknown>) =>
      natsSettingsOf(validateHostConfig(nats(extra)).cluster.nats).auth;
    expect(settings({ user: 'alice', password: PASSWORD })).toEqual({
      kind: 'user',
      user: 'alice',
      password: PASSWORD,
    });
    expect(settings({ token: TOKEN })).toEqual({ kind: 'token', token: TOKEN });
    expect(settings({ nkeySeed: seedFile })).toEqual({ kind: 'nkey', seedFile });
    expect(settings({ credsFile })).toEqual({ kind: 'creds', credsFile });
  });

  it('refuses two kinds of credentials, naming the second, quoting neither', () => {
    const message = problem(nats({ user: 'alice', password: PASSWORD, token: TOKEN }));
    expect(message).toMatch(/^cluster\.nats\.token: give one kind of credentials .*user is set/);
    expect(problem(nats({ token: TOKEN, nkeySeed: seedFile }))).toMatch(
      /^cluster\.nats\.nkeySeed: /,
    );
    expect(problem(nats({ nkeySeed: seedFile, credsFile }))).toMatch(/^cluster\.nats\.credsFile: /);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(TOKEN);
  });

  it('needs a user with a password and a password with a user', () => {
    expect(problem(nats({ user: 'alice' }))).toMatch(
      /^cluster\.nats\.password: user "alice" needs/,
    );
    const message = problem(nats({ password: PASSWORD }));
    expect(message).toMatch(/^cluster\.nats\.user: a password needs its user name/);
    expect(message).not.toContain(PASSWORD);
  });

  it('refuses a seed file that is missing or does not parse, never quoting the seed', () => {
    expect(problem(nats({ nkeySeed: join(dir, 'absent.nk') }))).toMatch(
      /^cluster\.nats\.nkeySeed: no such file/,
    );
    const broken = `${seed.slice(0, 20)}${seed[20] === 'A' ? 'B' : 'A'}${seed.slice(21)}`;
    const message = problem(nats({ nkeySeed: file('broken.nk', broken) }));
    expect(message).toMatch(
      /^cluster\.nats\.nkeySeed: ".*broken\.nk": not an NKey seed: its checksum/,
    );
    expect(message).not.toContain(seed.slice(2, 20));
    expect(problem(nats({ nkeySeed: file('short.nk', 'SUABC') }))).toMatch(
      /^cluster\.nats\.nkeySeed: .*58 characters/,
    );
    expect(problem(nats({ credsFile: file('bad.creds', 'hello') }))).toMatch(
      /^cluster\.nats\.credsFile: .*no NATS USER JWT block/,
    );
  });

  it('takes nats:// or tls:// URLs, not both, and no credentials inside them', () => {
    expect(problem(nats({}, ['http://127.0.0.1:4222']))).toMatch(
      /^cluster\.nats\.servers\[0\]: expected a nats:\/\/ or tls:\/\/ URL/,
    );
    expect(problem(nats({}, ['nats://a:1', 'tls://b:2']))).toMatch(
      /^cluster\.nats\.servers: give all nats:\/\/ or all tls:\/\/ URLs/,
    );
    const message = problem(nats({}, [`nats://alice:${PASSWORD}@127.0.0.1:4222`]));
    expect(message).toMatch(
      /^cluster\.nats\.servers\[0\]: expected a nats:\/\/ or tls:\/\/ URL without user:password@ .*, got "nats:\/\/\*\*\*@127\.0\.0\.1:4222"$/,
    );
    expect(message).not.toContain(PASSWORD);
  });

  it('takes TLS files with tls:// URLs: a CA, a client certificate with its key', () => {
    const config = validateHostConfig(
      nats(
        {
          tls: {
            ca: pem.ca,
            certificate: pem.clientCert,
            privateKey: join(dir, 'certs', 'client-key.pem'),
            serverName: 'radius.netrx.test',
          },
        },
        ['tls://127.0.0.1:4222'],
      ),
    );
    expect(natsSettingsOf(config.cluster.nats).tls).toEqual({
      ca: pem.ca,
      certificate: pem.clientCert,
      privateKey: join(dir, 'certs', 'client-key.pem'),
      serverName: 'radius.netrx.test',
    });
    // A tls:// URL alone: TLS with the system's roots.
    expect(natsSettingsOf(validateHostConfig(nats({}, ['tls://h:1'])).cluster.nats).tls).toEqual(
      {},
    );
  });

  it('refuses TLS settings with nats:// URLs, half a key pair, a key of another certificate, a CA that is no certificate', () => {
    expect(problem(nats({ tls: { ca: pem.ca } }))).toMatch(
      /^cluster\.nats\.tls\.ca: TLS settings need tls:\/\/ URLs/,
    );
    const tls = (t: Record<string, unknown>) => nats({ tls: t }, ['tls://127.0.0.1:4222']);
    expect(problem(tls({ certificate: pem.clientCert }))).toMatch(
      /^cluster\.nats\.tls\.privateKey: give both/,
    );
    expect(problem(tls({ certificate: pem.clientCert, privateKey: pem.key }))).toMatch(
      /^cluster\.nats\.tls\.privateKey: .* is not the private key of the certificate/,
    );
    expect(problem(tls({ ca: file('not.pem', 'hello') }))).toMatch(/^cluster\.nats\.tls\.ca: /);
    expect(problem(tls({ ca: join(dir, 'absent.pem') }))).toMatch(
      /^cluster\.nats\.tls\.ca: no such file/,
    );
    expect(problem(tls({ serverName: 'a b' }))).toMatch(/^cluster\.nats\.tls\.serverName: /);
  });

  it('credentials without servers, and users of NATS without servers, are refused', () => {
    expect(problem({ cluster: { nats: { token: TOKEN } } })).toMatch(
      /^cluster\.nats\.servers: credentials and TLS need servers/,
    );
    expect(problem({ radius: { cluster: { enabled: true, serverId: 's1' } } })).toMatch(
      /^radius\.cluster\.enabled: needs cluster\.nats\.servers/,
    );
  });
});
