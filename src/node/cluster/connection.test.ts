import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { firstConnectRetryable, natsConnectOptions, natsServerShown } from './connection.js';

const dir = mkdtempSync(join(tmpdir(), 'cluster-nats-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('natsConnectOptions', () => {
  it('reconnects forever, also after an authorization refusal, and names the connection', async () => {
    const options = await natsConnectOptions({ servers: 'nats://h:1', name: 'netrx up lab-1' });
    expect(options).toMatchObject({
      servers: ['nats://h:1'],
      name: 'netrx up lab-1',
      maxReconnectAttempts: -1,
      ignoreAuthErrorAbort: true,
      noAsyncTraces: true,
    });
    expect(options.tls).toBeUndefined();
    expect(options.user).toBeUndefined();
  });

  it('maps each kind of credentials to the client', async () => {
    const user = await natsConnectOptions({
      servers: ['nats://h:1'],
      auth: { kind: 'user', user: 'alice', password: 'pw-1' },
    });
    expect([user.user, user.pass]).toEqual(['alice', 'pw-1']);
    const token = await natsConnectOptions({
      servers: ['nats://h:1'],
      auth: { kind: 'token', token: 'tok-1' },
    });
    expect(token.token).toBe('tok-1');
    const seedFile = join(dir, 'u.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(nkeys.createUser().getSeed())}\n`);
    const nkey = await natsConnectOptions({
      servers: ['nats://h:1'],
      auth: { kind: 'nkey', seedFile },
    });
    expect(typeof nkey.authenticator).toBe('function');
  });

  it('a tls:// URL asks for TLS, with the CA, client pair and server name read from their files', async () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'CA PEM');
    const tls = await natsConnectOptions({
      servers: ['tls://h:1'],
      tls: { ca, serverName: 'n.test' },
    });
    expect(tls.tls).toEqual({ ca: 'CA PEM', servername: 'n.test' });
    expect((await natsConnectOptions({ servers: ['tls://h:1'] })).tls).toEqual({});
  });

  it('an unreadable file is ERR_NATS_CONFIG naming the key and the setting', async () => {
    await expect(
      natsConnectOptions({
        servers: ['nats://h:1'],
        auth: { kind: 'nkey', seedFile: join(dir, 'absent.nk') },
        errorPrefix: 'cluster.nats',
      }),
    ).rejects.toMatchObject({
      code: 'ERR_NATS_CONFIG',
      message: expect.stringMatching(
        /^cluster\.nats: cannot read nkeySeed ".*absent\.nk" \(ENOENT\)$/,
      ) as unknown,
    });
  });

  it('shows a URL without its credentials', () => {
    expect(natsServerShown('nats://alice:pw@h:1')).toBe('nats://***@h:1');
    expect(natsServerShown('h:1')).toBe('h:1');
  });
});

describe('firstConnectRetryable (review F10: which first-connect failures wait)', () => {
  const withCause = (name: string, code: string) =>
    Object.assign(new Error('connection refused'), {
      name,
      cause: Object.assign(new Error(`connect ${code}`), { code }),
    });
  it('waits for a server that is away, unreachable, slow or not resolvable yet', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']) {
      expect(firstConnectRetryable(withCause('ConnectionError', code))).toBe(true);
    }
    expect(
      firstConnectRetryable(Object.assign(new Error('timeout'), { name: 'TimeoutError' })),
    ).toBe(true);
  });
  it('fails the start when a server answered and refused (credentials, TLS, the protocol)', () => {
    expect(
      firstConnectRetryable(
        Object.assign(new Error('Authorization Violation'), { name: 'AuthorizationError' }),
      ),
    ).toBe(false);
    expect(
      firstConnectRetryable(withCause('ConnectionError', 'ERR_TLS_CERT_ALTNAME_INVALID')),
    ).toBe(false);
    expect(firstConnectRetryable('not an error')).toBe(false);
  });
});
