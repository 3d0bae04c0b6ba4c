// The PEAP peer and a skipped phase 2 (issue 13): hostapd, on an abbreviated
// (resumed) TLS 1.2 handshake, sends the Result TLV Success at once, without
// running the inner method again; wpa_supplicant accepts that. The netrx peer
// accepts it only when the session resumed AND the earlier authentication of
// that session got through phase 2 (TunnelSession.resumedAfterPhase2, set by
// the engine); a full handshake, or a resumption of a session whose phase 2
// failed, that skips phase 2 is refused (a Result TLV Failure, no success).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../node/runtime/crypto.js';
import { EapCode, EapType, encodeEap } from '../../wire/eap.js';
import { createMschapV2Method } from './mschapv2.js';
import { peapProfile } from './peap.js';
import {
  decodePeapInner,
  encodePeapInner,
  parseResultTlv,
  PeapResultStatus,
} from './peap-format.js';
import type { TunnelPeer } from './tls-common.js';

const inner = createMschapV2Method({ crypto: nodeCrypto });

function peerTunnel(resumedAfterPhase2: boolean): TunnelPeer {
  const tunnel = peapProfile({
    engines: {
      create: () => {
        throw new Error('unused');
      },
    },
    inner,
  }).tunnel;
  if (tunnel === undefined) throw new Error('PEAP has a tunnel');
  return tunnel.peer(
    { authenticator: false, identity: 'anonymous', password: 'hello' },
    { resumedAfterPhase2 },
  );
}

/** hostapd's PHASE2_TLV on resumption: Result TLV (M set) and, optionally, a Crypto-Binding TLV (not M). */
function resultRequest(identifier: number, status: number, cryptoBinding: boolean): Uint8Array {
  const result = [0x80, 0x03, 0, 2, 0, status];
  const binding = cryptoBinding ? [0x00, 0x0c, 0, 56, ...new Array<number>(56).fill(0)] : [];
  return encodeEap({
    code: EapCode.Request,
    identifier,
    type: EapType.PeapExtensions,
    typeData: Uint8Array.from([...result, ...binding]),
  });
}

/** The peer's answer to it: its Result TLV status. */
function answeredStatus(step: ReturnType<TunnelPeer['receive']>, identifier: number): number {
  if (step.kind !== 'write') throw new Error(`expected a write, got ${step.kind}`);
  const decoded = decodePeapInner(step.data, 'response', identifier);
  if (!decoded.ok || decoded.packet.type !== EapType.PeapExtensions) throw new Error('not a TLV');
  const parsed = parseResultTlv(decoded.packet.typeData);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.status;
}

describe('PEAP peer: a skipped phase 2', () => {
  it('is accepted on a resumed session whose earlier phase 2 succeeded (hostapd, with its Crypto-Binding TLV)', () => {
    const peer = peerTunnel(true);
    const status = answeredStatus(peer.receive(resultRequest(7, 1, true), 7), 7);
    expect(status).toBe(PeapResultStatus.Success);
    expect(peer.succeeded).toBe(true);
    expect(peer.phase2Skipped).toBe(true);
  });

  it('is refused on a full handshake (or a resumption of a session whose phase 2 failed)', () => {
    const peer = peerTunnel(false);
    const status = answeredStatus(peer.receive(resultRequest(7, 1, true), 7), 7);
    expect(status).toBe(PeapResultStatus.Failure);
    expect(peer.succeeded).toBe(false);
    expect(peer.phase2Skipped).toBe(false);
  });

  it('once the inner method began, its verdict decides, resumed or not (no skip half-way)', () => {
    for (const resumed of [true, false]) {
      const peer = peerTunnel(resumed);
      // An inner MSCHAPv2 Challenge (header-compressed), then a Result TLV Success without S=.
      const challenge = encodePeapInner({
        code: EapCode.Request,
        identifier: 3,
        type: EapType.MsChapV2,
        typeData: Uint8Array.of(
          1,
          3,
          0,
          26,
          16,
          ...new Array<number>(16).fill(9),
          0x73,
          0x72,
          0x76,
          0x00,
          0x00,
        ),
      });
      const first = peer.receive(challenge, 3);
      expect(first.kind).toBe('write');
      const status = answeredStatus(peer.receive(resultRequest(4, 1, false), 4), 4);
      expect(status).toBe(PeapResultStatus.Failure);
      expect(peer.succeeded).toBe(false);
    }
  });

  it('property: success exactly when resumed after phase 2 and the server says Success', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom(PeapResultStatus.Success, PeapResultStatus.Failure),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 255 }),
        (resumedAfterPhase2, status, cryptoBinding, identityFirst, identifier) => {
          const peer = peerTunnel(resumedAfterPhase2);
          if (identityFirst) {
            // Some servers send the inner Identity Request before skipping: still no inner method.
            const identity = encodePeapInner({
              code: EapCode.Request,
              identifier,
              type: EapType.Identity,
              typeData: new Uint8Array(0),
            });
            expect(peer.receive(identity, identifier).kind).toBe('write');
          }
          const next = (identifier + 1) & 0xff;
          const answer = answeredStatus(
            peer.receive(resultRequest(next, status, cryptoBinding), next),
            next,
          );
          const expected = resumedAfterPhase2 && status === PeapResultStatus.Success;
          expect(answer).toBe(expected ? PeapResultStatus.Success : PeapResultStatus.Failure);
          expect(peer.succeeded).toBe(expected);
        },
      ),
    );
  });
});
