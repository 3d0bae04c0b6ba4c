// TLS session resumption for EAP-TLS, PEAP and TTLS (issue 13): two
// authentications through engine factories shared across them, with
// `resumption` on both sides. The second resumes (TLS 1.2 session ID or
// ticket, TLS 1.3 PSK ticket), is cheaper on the wire (no certificates), and
// its keys still agree; a resumed PEAP/TTLS still runs the inner method (the
// provider decides again). With resumption off nothing resumes.
import { describe, expect, it } from 'vitest';
import { peapDialogue } from '../../../test/interop/support/eap-peap-dialogue.js';
import { certs, dialogue } from '../../../test/interop/support/eap-tls-dialogue.js';
import {
  createNodeTlsEngineFactory,
  type TlsResumptionOptions,
  type TlsVersionName,
} from '../../node/eap/index.js';
import type { EapPair } from '../../testing/index.js';
import { MicrosoftAttributeType, findAttribute, type AuthAttribute } from '../index.js';

const vendor = (attributes: readonly AuthAttribute[] | undefined, vendorType: number) =>
  findAttribute(attributes, 26, { vendorId: 311, vendorType })?.value;

function factories(
  method: 'tls' | 'peap' | 'ttls',
  version: TlsVersionName,
  resumption: TlsResumptionOptions | undefined,
) {
  const tunnel = method !== 'tls';
  const extra = resumption === undefined ? {} : { resumption };
  return {
    server: createNodeTlsEngineFactory({
      server: {
        cert: certs.server.certPem,
        key: certs.server.keyPem,
        ca: certs.ca.certPem,
        requireClientCertificate: !tunnel,
      },
      maxVersion: version,
      ...extra,
    }),
    client: createNodeTlsEngineFactory({
      client: {
        ca: certs.ca.certPem,
        serverName: 'radius.netrx.test',
        ...(tunnel ? {} : { cert: certs.client.certPem, key: certs.client.keyPem }),
      },
      maxVersion: version,
      ...extra,
    }),
  };
}

const wireBytes = (pair: EapPair) => pair.wire.reduce((n, w) => n + w.bytes.length, 0);

async function run(
  method: 'tls' | 'peap' | 'ttls',
  version: TlsVersionName,
  shared: ReturnType<typeof factories>,
) {
  if (method === 'tls') {
    const result = await dialogue({ version, factories: shared });
    return { ...result, bytes: wireBytes(result.pair), counts: undefined };
  }
  const result = await peapDialogue({
    version,
    factories: shared,
    ...(method === 'ttls' ? { ttls: true } : {}),
  });
  return { ...result, bytes: wireBytes(result.pair), counts: result.provider.counts };
}

describe('TLS session resumption across EAP sessions', () => {
  for (const method of ['tls', 'peap', 'ttls'] as const) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`${method} ${version}: the second authentication resumes, costs fewer bytes, keys agree`, async () => {
        const shared = factories(method, version, { lifetimeSeconds: 60 });
        const first = await run(method, version, shared);
        expect(first.peer?.outcome).toBe('success');
        expect(first.peer?.reason).not.toContain('resumed');
        const second = await run(method, version, shared);
        expect(second.auth?.outcome).toBe('success');
        expect(second.peer?.outcome).toBe('success');
        expect(second.peer?.reason).toContain(`(${version}, resumed)`);
        // No certificate chain the second time.
        expect(second.bytes).toBeLessThan(first.bytes * 0.75);
        const recv = vendor(second.auth?.attributes, MicrosoftAttributeType.MsMppeRecvKey);
        expect(recv).toHaveLength(32);
        expect(vendor(second.peer?.attributes, MicrosoftAttributeType.MsMppeSendKey)).toEqual(recv);
        // Fresh keys: a resumed session derives its own.
        expect(recv).not.toEqual(
          vendor(first.auth?.attributes, MicrosoftAttributeType.MsMppeRecvKey),
        );
        if (method !== 'tls') {
          // The inner method ran again: the provider was asked and accepted.
          expect(second.counts).toEqual({ accepted: 1, rejected: 0 });
          expect(second.auth?.identity).toBe('bob');
        }
      });
    }
  }

  it('off (no resumption option): the second authentication is a full handshake', async () => {
    const shared = factories('peap', 'TLSv1.3', undefined);
    await run('peap', 'TLSv1.3', shared);
    const second = await run('peap', 'TLSv1.3', shared);
    expect(second.peer?.outcome).toBe('success');
    expect(second.peer?.reason).toBe('PEAP phase 2 succeeded (TLSv1.3)');
  });

  it('a resumed PEAP with a wrong inner password still fails (phase 2 decides)', async () => {
    const shared = factories('peap', 'TLSv1.2', {});
    await run('peap', 'TLSv1.2', shared);
    const second = await peapDialogue({ version: 'TLSv1.2', factories: shared, password: 'wrong' });
    expect(second.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(second.peer?.outcome).toBe('failure');
  });
});
