import { describe, expect, it } from 'vitest';
import { certs, dialogue } from '../../../test/interop/support/eap-tls-dialogue.js';
import { createDemoCertificates } from '../../node/certs/demo.js';
import { ExtendedKeyUsage, generateKey, issueCertificate } from '../../node/certs/x509.js';
import type { NodeTlsClientConfig } from '../../node/eap/index.js';
import { EapCode, parseEap } from '../../wire/eap.js';
import {
  EAP_KEY_NAME_ATTRIBUTE,
  MicrosoftAttributeType,
  findAttribute,
  parseTlsTypeData,
  TlsFlag,
  type AuthAttribute,
} from '../index.js';

const vendor = (attributes: readonly AuthAttribute[], vendorType: number) =>
  findAttribute(attributes, 26, { vendorId: 311, vendorType })?.value;

describe('EAP-TLS over Node TLS through createEapPair', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const sendCapacity of [1020, 200, 64]) {
      it(`${version}, send capacity ${sendCapacity}: success on both sides, MPPE keys agree`, async () => {
        const run = await dialogue({ version, sendCapacity });
        expect(run.auth).toMatchObject({ outcome: 'success', resultCode: 0, identity: 'bob' });
        expect(run.peer).toMatchObject({ outcome: 'success', resultCode: 0, method: 'EAP-TLS' });
        const auth = run.auth!.attributes;
        const peer = run.peer!.attributes;
        const recv = vendor(auth, MicrosoftAttributeType.MsMppeRecvKey);
        const send = vendor(auth, MicrosoftAttributeType.MsMppeSendKey);
        expect(recv).toHaveLength(32);
        expect(send).toHaveLength(32);
        expect(recv).not.toEqual(send);
        // The peer sends with what the authenticator receives with.
        expect(vendor(peer, MicrosoftAttributeType.MsMppeSendKey)).toEqual(recv);
        expect(vendor(peer, MicrosoftAttributeType.MsMppeRecvKey)).toEqual(send);
        const keyName = findAttribute(auth, EAP_KEY_NAME_ATTRIBUTE)?.value;
        expect(keyName).toHaveLength(65);
        expect(keyName?.[0]).toBe(13);
        expect(findAttribute(peer, EAP_KEY_NAME_ATTRIBUTE)?.value).toEqual(keyName);
        // Every packet fits the capacity; fragmented flights were used below 1020.
        const packets = run.pair.wire.map((w) => parseEap(w.bytes));
        for (const w of run.pair.wire) expect(w.bytes.length).toBeLessThanOrEqual(sendCapacity);
        const fragments = packets.filter(
          (p) =>
            p.ok &&
            'typeData' in p.value &&
            ((p.value.typeData[0] ?? 0) & TlsFlag.MoreFragments) !== 0,
        );
        if (sendCapacity < 1020) expect(fragments.length).toBeGreaterThan(0);
        expect(run.pair.peer.stats().droppedTotal).toBe(0);
        expect(run.pair.authenticator.stats().droppedTotal).toBe(0);
      });
    }
  }

  it('TLS 1.3: the last server flight carries the commitment, the peer ACKs it, then Success', async () => {
    const run = await dialogue({ version: 'TLSv1.3' });
    const last = run.pair.wire.slice(-3).map((w) => parseEap(w.bytes));
    const [flight, ack, success] = last.map((p) => (p.ok ? p.value : undefined));
    expect(flight?.code).toBe(EapCode.Request);
    expect(ack?.code).toBe(EapCode.Response);
    const ackData =
      ack !== undefined && 'typeData' in ack ? parseTlsTypeData(ack.typeData) : undefined;
    expect(ackData?.ok && ackData.value.data.length).toBe(0);
    expect(success?.code).toBe(EapCode.Success);
  });

  it('the first Request is a Start: Flags 0x20 and nothing else', async () => {
    const run = await dialogue({ version: 'TLSv1.2' });
    const start = parseEap(run.pair.wire[2]!.bytes);
    expect(start.ok && 'typeData' in start.value && [...start.value.typeData]).toEqual([
      TlsFlag.Start,
    ]);
  });
});

describe('EAP-TLS refusals, each with its reason', () => {
  const rogue = createDemoCertificates();

  it('a client certificate from a rogue CA is refused by the authenticator', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const run = await dialogue({
        version,
        client: { cert: rogue.client.certPem, key: rogue.client.keyPem },
      });
      expect(run.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
      expect(run.auth?.reason).toMatch(/TLS .*(unknown ca|certificate|verify)/i);
      expect(run.auth?.attributes).toEqual([]);
      expect(run.peer?.outcome).toBe('failure');
    }
  });

  it('a peer without a client certificate is refused', async () => {
    const run = await dialogue({
      version: 'TLSv1.2',
      client: { cert: undefined, key: undefined },
    });
    expect(run.auth).toMatchObject({ outcome: 'failure', resultCode: 691 });
    expect(run.auth?.reason).toMatch(/certificate/i);
  });

  const now = Date.now();
  const serverCert = (spec: { expired?: boolean; name?: string; eku?: string[] }) => {
    const cert = issueCertificate(
      {
        commonName: spec.name ?? 'radius.netrx.test',
        dnsNames: [spec.name ?? 'radius.netrx.test'],
        extendedKeyUsage: spec.eku ?? [ExtendedKeyUsage.serverAuth],
        notBefore: new Date(now - (spec.expired === true ? 10 : 1) * 86_400_000),
        notAfter: new Date(now + (spec.expired === true ? -1 : 1) * 86_400_000),
      },
      generateKey('ec'),
      certs.ca,
    );
    return { cert: cert.certPem, key: cert.keyPem };
  };

  const cases: [string, Parameters<typeof serverCert>[0], Partial<NodeTlsClientConfig>, RegExp][] =
    [
      ['an expired server certificate', { expired: true }, {}, /CERT_HAS_EXPIRED/],
      [
        'a server certificate for another name',
        { name: 'evil.example' },
        {},
        /ERR_TLS_CERT_ALTNAME_INVALID/,
      ],
      [
        'a server certificate outside the domain suffix',
        { name: 'radius.evil.example' },
        { serverName: undefined, domainSuffix: 'netrx.test' },
        /ERR_NETRX_TLS_DOMAIN_SUFFIX/,
      ],
      [
        'a server certificate without the serverAuth EKU',
        { eku: [ExtendedKeyUsage.clientAuth] },
        {},
        /ERR_NETRX_TLS_SERVER_EKU|UNSUITABLE|purpose/i,
      ],
      ['a server certificate with no EKU at all', { eku: [] }, {}, /ERR_NETRX_TLS_SERVER_EKU/],
    ];
  for (const [what, spec, client, reason] of cases) {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`${version}: the peer refuses ${what}`, async () => {
        const run = await dialogue({ version, server: serverCert(spec), client });
        expect(run.peer).toMatchObject({ outcome: 'failure', resultCode: 691 });
        expect(run.peer?.reason).toMatch(reason);
        expect(run.peer?.attributes).toEqual([]);
        // The authenticator does not succeed either: the peer's alert fails its handshake.
        expect(run.auth?.outcome).not.toBe('success');
      });
    }
  }

  it('the domain suffix matches whole labels in a good certificate', async () => {
    const run = await dialogue({
      version: 'TLSv1.3',
      client: { serverName: undefined, domainSuffix: 'netrx.test' },
    });
    expect(run.peer?.outcome).toBe('success');
  });
});
