// The in-memory EAP link is bounded like every queue (docs/seeds.md, 001
// Bounds): a side that keeps sending while nothing is delivered keeps at
// most `maxQueued` packets per direction, the newest, and counts the rest.
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { createMd5Method } from '../eap/index.js';
import { EapCode, EapType, encodeEap, parseEap } from '../wire/eap.js';
import { VirtualClock } from './virtual-clock.js';
import { createEapPair } from './eap-pair.js';

const identityRequest = (identifier: number) =>
  encodeEap({
    code: EapCode.Request,
    identifier,
    type: EapType.Identity,
    typeData: new Uint8Array(0),
  });

function pairWith(maxQueued?: number) {
  const md5 = createMd5Method({ crypto: nodeCrypto });
  return createEapPair({
    clock: new VirtualClock(),
    peer: { methods: [md5], identity: 'bob' },
    authenticator: { methods: [md5] },
    ...(maxQueued === undefined ? {} : { maxQueued }),
  });
}

/** The Identifier of each packet waiting for the authenticator. */
function queuedIdentifiers(pair: ReturnType<typeof pairWith>): number[] {
  return pair.queued['to-authenticator'].map((bytes) => {
    const parsed = parseEap(bytes);
    if (!parsed.ok) throw new Error('the pair queued a packet that does not parse');
    return parsed.value.identifier;
  });
}

describe('createEapPair', () => {
  it('keeps at most 256 packets per direction by default: the newest, the oldest dropped and counted', () => {
    const pair = pairWith();
    // Each new Identity Request (Identifiers wrap at 256) gets its own Response, none delivered.
    for (let n = 0; n < 300; n++) pair.peer.receive(identityRequest(n & 0xff));
    expect(pair.wire).toHaveLength(300);
    expect(pair.overflowed).toBe(300 - 256);
    const newest = Array.from({ length: 256 }, (_, i) => (300 - 256 + i) & 0xff);
    expect(queuedIdentifiers(pair)).toEqual(newest);
    expect(pair.queued['to-peer']).toHaveLength(0);
  });

  it('takes its bound from maxQueued', () => {
    const pair = pairWith(3);
    for (let id = 0; id < 5; id++) pair.peer.receive(identityRequest(id));
    expect(queuedIdentifiers(pair)).toEqual([2, 3, 4]);
    expect(pair.overflowed).toBe(2);
  });
});
