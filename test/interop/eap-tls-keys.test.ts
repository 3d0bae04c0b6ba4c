// EAP-TLS keys checked against an independent derivation: Python's hashlib
// and hmac compute the RFC 5216 (TLS 1.2 PRF) and RFC 9190 (TLS 1.3
// exporter) key material from the TLS key log of the dialogue, so the MPPE
// keys are not only equal on both netrx sides but the RFCs' values. Cipher
// suites with SHA-256 and SHA-384 are both covered (the PRF hash follows
// the suite). PEAPv0 and TTLS (PAP) too: under TLS 1.2 their RFC 5216 /
// RFC 5281 labels with Type 25 / 21 in the Session-Id, under TLS 1.3 the
// EAP-TLS exporter labels with the type as context (RFC 9427 §2.1).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bytes/index.js';
import { EAP_KEY_NAME_ATTRIBUTE, findAttribute } from '../../src/eap/index.js';
import { peapDialogue } from './support/eap-peap-dialogue.js';
import { dialogue } from './support/eap-tls-dialogue.js';
import { requirePeers, versionOf } from './support/peers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'support', 'tls_exporter.py');
const peers = requirePeers('eap-tls-keys', [
  { name: PYTHON, ok: () => existsSync(PYTHON), hint: 'apt-get install python3' },
]);

const cases = [
  { version: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', hash: 'sha256' },
  { version: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', hash: 'sha384' },
  { version: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', hash: 'sha256' },
  { version: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384', hash: 'sha384' },
] as const;

describe.skipIf(peers.skip)(
  'EAP-TLS MSK against an independent derivation (Python hashlib/hmac)',
  () => {
    it('records the peer version', () => {
      expect(versionOf(PYTHON)).toMatch(/^Python 3\./);
    });

    const methods = [
      { method: 'EAP-TLS', type: 13, label: undefined },
      { method: 'PEAP', type: 25, label: undefined },
      { method: 'TTLS', type: 21, label: 'ttls keying material' },
    ] as const;
    for (const { method, type, label } of methods)
      for (const { version, ciphers, hash } of cases) {
        it(`${method} ${version} ${ciphers}: MS-MPPE keys and EAP-Key-Name are the RFC's`, async () => {
          const log: string[] = [];
          const common = {
            version,
            ciphers,
            sendCapacity: 300,
            onKeylog: (l: string) => log.push(l),
          };
          const run =
            method === 'EAP-TLS'
              ? await dialogue(common)
              : await peapDialogue({ ...common, ...(method === 'TTLS' ? { ttls: true } : {}) });
          expect(run.auth?.outcome).toBe('success');
          expect(run.auth?.method).toBe(method);
          const attributes = run.auth!.attributes;
          const recv = findAttribute(attributes, 26, { vendorId: 311, vendorType: 17 })!.value;
          const send = findAttribute(attributes, 26, { vendorId: 311, vendorType: 16 })!.value;
          const keyName = findAttribute(attributes, EAP_KEY_NAME_ATTRIBUTE)!.value;
          const wanted = version === 'TLSv1.2' ? 'CLIENT_RANDOM' : 'EXPORTER_SECRET';
          // Both engines log; the lines are the same session's, take the first.
          const line = log.find((l) => l.startsWith(`${wanted} `));
          expect(line).toBeDefined();
          const [, clientRandom, secret] = line!.split(' ');
          const query = {
            version,
            hash,
            secret,
            client_random: clientRandom,
            // TLS 1.2's Session-Id is Type ‖ client.random ‖ server.random: its server half is
            // what netrx read from the ServerHello; a wrong one would make the PRF differ.
            server_random: toHex(keyName.subarray(33)),
            type,
            ...(label === undefined ? {} : { label }),
          };
          const out = JSON.parse(
            execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(query), encoding: 'utf8' }),
          ) as { msk: string; emsk: string; session_id: string };
          expect(toHex(recv)).toBe(out.msk.slice(0, 64));
          expect(toHex(send)).toBe(out.msk.slice(64, 128));
          expect(keyName[0]).toBe(type);
          expect(toHex(keyName)).toBe(out.session_id);
          if (version === 'TLSv1.2') expect(toHex(keyName.subarray(1, 33))).toBe(clientRandom);
        });
      }
  },
);
