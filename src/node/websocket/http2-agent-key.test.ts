/**
 * http2SessionKey and option values that are not plain data: a
 * `SecureContext` or a `KeyObject` is compared by reference, so two client
 * identities given that way never share a session (verify15, mutant K4:
 * every such object keyed alike survived http2-agent-tls.test.ts, which
 * uses PEM strings only). Peer: node:tls and node:crypto of the running Node.
 */
import { createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { http2SessionKey } from './http2-agent-key.js';
import { demoCertificates } from './http2-pair.js';

const ORIGIN = 'https://127.0.0.1:1';

describe('http2SessionKey and non-plain option values', () => {
  it('two SecureContexts (two client identities) give two keys; the same one gives one', () => {
    const certs = demoCertificates();
    const a = createSecureContext({ cert: certs.server.certPem, key: certs.server.keyPem });
    const b = createSecureContext({ cert: certs.server.certPem, key: certs.server.keyPem });
    expect(http2SessionKey(ORIGIN, { secureContext: a })).not.toBe(
      http2SessionKey(ORIGIN, { secureContext: b }),
    );
    expect(http2SessionKey(ORIGIN, { secureContext: a })).toBe(
      http2SessionKey(ORIGIN, { secureContext: a }),
    );
  });

  it('two KeyObjects give two keys, also inside an array', () => {
    const pem = demoCertificates().server.keyPem;
    const [first, second] = [createPrivateKey(pem), createPrivateKey(pem)];
    expect(http2SessionKey(ORIGIN, { key: first })).not.toBe(
      http2SessionKey(ORIGIN, { key: second }),
    );
    expect(http2SessionKey(ORIGIN, { key: [first] })).not.toBe(
      http2SessionKey(ORIGIN, { key: [second] }),
    );
    expect(http2SessionKey(ORIGIN, { key: [first] })).toBe(
      http2SessionKey(ORIGIN, { key: [first] }),
    );
  });
});
