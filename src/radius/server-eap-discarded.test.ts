/**
 * An EAP-Response the authenticator discards (RFC 3579 §2.6.2: a wrong
 * Identifier) gets no RADIUS answer and is counted as `eap-discarded`; the
 * conversation goes on and the right Response still succeeds. The drop
 * expects the NAS's retry, so its duplicate-cache entry is freed: the
 * retransmit is processed, not held as `duplicate-in-progress`.
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { RadiusAttributeType } from './dictionary.js';
import { StaticUserStore, createMd5Method } from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusCode, RadiusServer, parseRadius, signAccessRequest } from './index.js';

const secret = new TextEncoder().encode('testing123');
const text = (s: string) => new TextEncoder().encode(s);
const NAS = { address: '127.0.0.1', port: 40001 };

function setUp() {
  const sent: Uint8Array[] = [];
  const server = new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    send: (datagram) => sent.push(datagram),
  });
  let id = 0;
  /** The Access-Request for `eap` (and `state`), signed under the next Identifier. */
  const datagram = (eap: Uint8Array, state?: Uint8Array) =>
    signAccessRequest(
      nodeCrypto,
      1,
      ++id,
      nodeCrypto.randomBytes(16),
      [
        { type: RadiusAttributeType.UserName, value: text('bob') },
        { type: RadiusAttributeType.EapMessage, value: eap },
        ...(state === undefined ? [] : [{ type: RadiusAttributeType.State, value: state }]),
      ],
      secret,
    );
  /** Sends `request` from the NAS; the answer, if any. */
  const send = (request: Uint8Array) => {
    const before = sent.length;
    server.receive(request, NAS);
    if (sent.length === before) return undefined;
    const parsed = parseRadius(sent.at(-1)!);
    if (!parsed.ok) throw new Error('unparsable response');
    return parsed.value;
  };
  const request = (eap: Uint8Array, state?: Uint8Array) => send(datagram(eap, state));
  const challenge = request(Uint8Array.of(2, 1, 0, 8, 1, ...text('bob')));
  expect(challenge?.code).toBe(RadiusCode.AccessChallenge);
  const eap = challenge!.attributes.find((a) => a.type === RadiusAttributeType.EapMessage)!.value;
  const state = challenge!.attributes.find((a) => a.type === RadiusAttributeType.State)!.value;
  const value = eap.subarray(6, 6 + eap[5]!);
  const digest = nodeCrypto.digest('md5', Uint8Array.of(eap[1]!), text('hello'), value);
  /** The MD5 Response under EAP Identifier `identifier`. */
  const response = (identifier: number) => Uint8Array.of(2, identifier, 0, 22, 4, 16, ...digest);
  return { server, datagram, send, request, state, identifier: eap[1]!, response };
}

describe('an EAP-Response the authenticator discards', () => {
  it('gets no answer, is counted as eap-discarded, and the conversation goes on', () => {
    const { server, request, state, identifier, response } = setUp();
    const wrongId = (identifier + 1) & 0xff;
    expect(request(response(wrongId), state.slice())).toBe(undefined);
    expect(server.stats().dropped['eap-discarded']).toBe(1);
    const accept = request(response(identifier), state.slice());
    expect(accept?.code).toBe(RadiusCode.AccessAccept);
    expect(server.stats().dropped['eap-discarded']).toBe(1);
  });

  it("frees its duplicate-cache entry: the NAS's retransmit is processed, not duplicate-in-progress", () => {
    const { server, datagram, send, state, identifier } = setUp();
    const cachedBefore = server.stats().cachedResponses;
    const discarded = datagram(
      Uint8Array.of(2, (identifier + 1) & 0xff, 0, 22, 4, 16, ...new Uint8Array(16)),
      state.slice(),
    );
    expect(send(discarded)).toBe(undefined);
    // No entry left behind for a request that will never be answered.
    expect(server.stats().cachedResponses).toBe(cachedBefore);
    // The NAS retransmits the very datagram (same source, Identifier and Authenticator).
    expect(send(discarded)).toBe(undefined);
    expect(server.stats().dropped['duplicate-in-progress']).toBeUndefined();
    expect(server.stats().dropped['eap-discarded']).toBe(2);
  });
});
