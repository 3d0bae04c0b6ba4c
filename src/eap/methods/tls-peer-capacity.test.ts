// Regression: the peer's fatal alert (after a reassembly error, or for a
// check the engine made) went out whatever the send capacity, so at a small
// capacity the packet did not fit and the framework ended the session with
// an internal error instead of the method's own failure.
import { describe, expect, it } from 'vitest';
import { EapCode, eapPacketLength } from '../../wire/eap.js';
import { isMethodError, type EapMakeMessageResult } from '../contract.js';
import type { TlsEngine } from '../tls/engine.js';
import { createTlsMethod } from './tls.js';

const engine = (): TlsEngine => ({
  role: 'client',
  state: 'handshaking',
  protocol: 'TLSv1.2',
  error: undefined,
  feed() {},
  writeApplicationData() {},
  whenSettled: (settled) => settled(),
  takeOutput: () => new Uint8Array(0),
  takeApplicationData: () => new Uint8Array(0),
  exportKeyingMaterial: () => new Uint8Array(0),
  peerCertificate: () => undefined,
  close() {},
});

function packetLength(result: EapMakeMessageResult): number {
  if (isMethodError(result) || result.packet === undefined) return 0;
  return eapPacketLength(result.packet);
}

describe('EAP-TLS peer at the smallest send capacity', () => {
  it('a lying TLS Message Length ends in failure with a packet that fits 11 bytes', () => {
    const method = createTlsMethod({ engines: { create: engine } });
    const work = method.begin({ authenticator: false });
    const start = method.makeMessage(
      work,
      { code: EapCode.Request, identifier: 7, type: 13, typeData: Uint8Array.of(0x20) },
      11,
    );
    expect(!isMethodError(start) && start.pendingWork).toBeDefined();
    method.makeMessage(work, null, 11, { authenticator: false, workComplete: true });
    // L set, length 1, no data: reassembly refuses it.
    const lie = method.makeMessage(
      work,
      { code: EapCode.Request, identifier: 8, type: 13, typeData: Uint8Array.of(0x80, 0, 0, 0, 1) },
      11,
    );
    expect(isMethodError(lie)).toBe(false);
    expect(!isMethodError(lie) && lie.authResultCode).toBe(691);
    expect(packetLength(lie)).toBeLessThanOrEqual(11);
  });
});
