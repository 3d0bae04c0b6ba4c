/**
 * A NAS that lost the server's answer and sends the same EAP Response
 * again from another socket (new source port) or under a new RADIUS
 * Identifier and Request Authenticator (review16c N3): RFC 5080's
 * duplicate key misses, so the conversation must recognise its own last
 * round and answer it again, signed for the new request, without feeding
 * the authenticator (which would discard it). The last round too: the
 * conversation has ended, and its Accept comes again, keys and all.
 */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { StaticUserStore, createMschapV2Method } from '../eap/index.js';
import { toHex } from '../bytes/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  parseRadius,
  signAccessRequest,
  type RadiusEapResult,
  type RadiusEndpoint,
  type RadiusPacket,
} from './index.js';
import { checkResponse, decryptMppeKey } from './signing.js';

const secret = new TextEncoder().encode('testing123');
const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const MICROSOFT = 311;

function parse(datagram: Uint8Array): RadiusPacket {
  const parsed = parseRadius(datagram.slice());
  if (!parsed.ok) throw new Error('unparsable datagram');
  return parsed.value;
}

function eapOf(packet: RadiusPacket): Uint8Array | undefined {
  return packet.attributes.find((a) => a.type === RadiusAttributeType.EapMessage)?.value;
}

/** The same Access-Request under a new RADIUS Identifier and Request Authenticator (a NAS keeping one Identifier space per server). */
function resigned(datagram: Uint8Array): { datagram: Uint8Array; authenticator: Uint8Array } {
  const request = parse(datagram);
  const authenticator = nodeCrypto.randomBytes(16);
  const attributes = request.attributes.filter(
    (a) => a.type !== RadiusAttributeType.MessageAuthenticator,
  );
  return {
    datagram: signAccessRequest(
      nodeCrypto,
      RadiusCode.AccessRequest,
      (request.identifier + 101) & 0xff,
      authenticator,
      attributes,
      secret,
    ),
    authenticator,
  };
}

/** MS-MPPE-Send-Key and -Recv-Key of an Accept, decrypted for its request. */
function mppeKeys(packet: RadiusPacket, requestAuthenticator: Uint8Array): string[] {
  return packet.attributes
    .filter((a) => a.type === RadiusAttributeType.VendorSpecific)
    .filter((a) => ((a.value[2] as number) << 8) + (a.value[3] as number) === MICROSOFT)
    .filter((a) => a.value[4] === 16 || a.value[4] === 17)
    .map((a) => {
      const key = decryptMppeKey(nodeCrypto, a.value.subarray(6), secret, requestAuthenticator);
      return toHex(key ?? new Uint8Array(0));
    });
}

function setUp() {
  const sent: Uint8Array[] = [];
  const server = new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [mschapv2],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    send: (datagram) => sent.push(datagram.slice()),
  });
  const held: Uint8Array[] = [];
  const box: { result?: RadiusEapResult } = {};
  const client = new RadiusEapClient({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    servers: [{ ...SERVER, secret: 'testing123' }],
    methods: [mschapv2],
    identity: 'bob',
    password: 'hello',
    timeoutMs: 60_000,
    send: (datagram) => held.push(datagram.slice()),
    onResult: (r) => (box.result = r),
  });
  const ask = (datagram: Uint8Array, from: RadiusEndpoint = NAS) => {
    const before = sent.length;
    server.receive(datagram, from);
    return sent.slice(before);
  };
  return { server, client, held, box, ask };
}

describe('an EAP Response sent again from another socket gets the same answer', () => {
  for (const lostRound of [1, 2]) {
    it(`round ${lostRound + 1} of MSCHAPv2 (${lostRound === 2 ? 'the Accept' : 'a Challenge'}): new port, then new Identifier`, () => {
      const { server, client, held, box, ask } = setUp();
      client.start();
      for (let round = 0; box.result === undefined; round++) {
        expect(round).toBeLessThan(4);
        const request = held.at(-1) as Uint8Array;
        const [answer] = ask(request);
        expect(answer).toBeDefined();
        if (round !== lostRound) {
          client.receive(answer as Uint8Array, SERVER);
          continue;
        }
        // The answer is lost. The NAS fails over: same datagram, another socket.
        const original = parse(answer as Uint8Array);
        const fromNewPort = ask(request, { ...NAS, port: NAS.port + 1 });
        expect(fromNewPort).toHaveLength(1);
        const again = parse(fromNewPort[0] as Uint8Array);
        expect(again.code).toBe(original.code);
        expect(eapOf(again)).toEqual(eapOf(original));
        // Under a new Identifier and Request Authenticator: a fresh signature over the same EAP.
        const other = resigned(request);
        const [signed] = ask(other.datagram, { ...NAS, port: NAS.port + 2 });
        expect(signed).toBeDefined();
        const renewed = parse(signed as Uint8Array);
        expect(renewed.identifier).toBe((original.identifier + 101) & 0xff);
        expect(checkResponse(nodeCrypto, renewed, other.authenticator, secret, true)).toBe(
          undefined,
        );
        expect(eapOf(renewed)).toEqual(eapOf(original));
        const state = (p: RadiusPacket) =>
          p.attributes.find((a) => a.type === RadiusAttributeType.State)?.value;
        expect(state(renewed)).toEqual(state(original));
        if (original.code === RadiusCode.AccessAccept) {
          const requestAuthenticator = parse(request).authenticator;
          const keys = mppeKeys(original, requestAuthenticator);
          expect(keys).toHaveLength(2);
          expect(mppeKeys(renewed, other.authenticator)).toEqual(keys);
        }
        // The client takes the answer to its own request (same Identifier and Authenticator).
        client.receive(fromNewPort[0] as Uint8Array, SERVER);
      }
      expect(box.result?.outcome).toBe('success');
      expect(box.result?.keysMatch).toBe(true);
      expect(server.stats().dropped['eap-discarded']).toBeUndefined();
      expect(server.stats().duplicatesAnswered).toBe(2);
    });
  }

  it('a different Response under the old Identifier is still discarded, and another NAS address is refused', () => {
    const { server, client, held, ask } = setUp();
    client.start();
    client.receive(ask(held.at(-1) as Uint8Array)[0] as Uint8Array, SERVER);
    const round2 = held.at(-1) as Uint8Array;
    const [challenge] = ask(round2);
    expect(challenge).toBeDefined();
    // The same request from another NAS address of the same client entry: not its conversation.
    expect(ask(round2, { address: '127.0.0.2', port: NAS.port })).toHaveLength(0);
    expect(server.stats().dropped['state-of-other-client']).toBe(1);
    // One octet changed in the EAP Response: not a retransmit, so the authenticator decides.
    const request = parse(round2);
    const attributes = request.attributes
      .filter((a) => a.type !== RadiusAttributeType.MessageAuthenticator)
      .map((a) => {
        if (a.type !== RadiusAttributeType.EapMessage) return a;
        const value = a.value.slice();
        value[value.length - 1] = (value[value.length - 1] as number) ^ 1;
        return { type: a.type, value };
      });
    const changed = signAccessRequest(
      nodeCrypto,
      RadiusCode.AccessRequest,
      (request.identifier + 1) & 0xff,
      nodeCrypto.randomBytes(16),
      attributes,
      secret,
    );
    expect(ask(changed)).toHaveLength(0);
    expect(server.stats().dropped['eap-discarded']).toBe(1);
    expect(server.stats().duplicatesAnswered).toBe(0);
  });

  it('the ended conversation answers its last request from another NAS address with nothing', () => {
    const { server, client, held, box, ask } = setUp();
    client.start();
    let last: Uint8Array = new Uint8Array(0);
    while (box.result === undefined) {
      last = held.at(-1) ?? last;
      client.receive(ask(last)[0] as Uint8Array, SERVER);
    }
    expect(ask(last, { address: '127.0.0.2', port: NAS.port })).toHaveLength(0);
    expect(server.stats().dropped['state-of-other-client']).toBe(1);
  });
});
