/**
 * The forward envelope's NAS address and client name are the receiving
 * server's word (review16c N9). The owner checks them against the NAS its
 * conversation began with, as the direct path does: a forward naming
 * another NAS of the same client entry is refused at once
 * (`state-of-other-client`, answered empty), for a conversation in
 * progress and for one that ended (its answer kept for retransmits).
 */
import { describe, expect, it } from 'vitest';
import {
  RadiusEapClient,
  decodeForwardedRequest,
  encodeForwardedRequest,
  type RadiusEapResult,
} from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import { NAS, SERVER, flush, makeFleet, mschapv2, type Node } from './radius-fleet.js';

/** A fleet forwarding only; a began the conversation; the test routes each request by hand. */
function setUp() {
  const fleet = makeFleet({ ids: ['a', 'b'], keys: [undefined, undefined], methods: [mschapv2] });
  const held: Uint8Array[] = [];
  const box: { result?: RadiusEapResult } = {};
  const client = new RadiusEapClient({
    clock: fleet.clock,
    crypto: nodeCrypto,
    servers: [{ ...SERVER, secret: 'testing123' }],
    methods: [mschapv2],
    identity: 'bob',
    password: 'hello',
    timeoutMs: 600_000,
    send: (datagram) => held.push(datagram.slice()),
    onResult: (r) => (box.result = r),
  });
  const send = async (node: Node, from = NAS) => {
    const before = fleet.answers.length;
    const forwarded: Uint8Array[] = [];
    node.cluster.receive(held.at(-1) as Uint8Array, from, 'auth', (x) => forwarded.push(x));
    await flush();
    return [...forwarded, ...fleet.answers.splice(before)];
  };
  return { fleet, client, held, box, send, nodes: fleet.nodes as [Node, Node] };
}

/** Rewrites every forward's NAS address (a NATS user publishing forwards of its own). */
function forgeAddress(fleet: ReturnType<typeof makeFleet>, address: string) {
  fleet.bus.tamper = (message) => {
    const request = decodeForwardedRequest(message);
    return request === undefined ? message : encodeForwardedRequest({ ...request, address });
  };
}

describe('a forward naming another NAS than the conversation began with (review16c N9)', () => {
  it('a conversation in progress: refused at once by the owner, then the real NAS goes on', async () => {
    const { fleet, client, box, send, nodes } = setUp();
    const [a, b] = nodes;
    client.start();
    client.receive((await send(a))[0] as Uint8Array, SERVER);
    forgeAddress(fleet, '127.0.0.2');
    expect(await send(b)).toHaveLength(0);
    // At once (no forwardTimeoutMs waited): the owner answered empty.
    expect(b.cluster.stats()).toMatchObject({ forwarded: 1, ownerDropped: 1, timeouts: 0 });
    expect(a.cluster.stats().serveRefused).toBe(1);
    expect(a.server.stats().dropped['state-of-other-client']).toBe(1);
    fleet.bus.tamper = (message) => message;
    while (box.result === undefined) {
      const answers = await send(b);
      expect(answers).toHaveLength(1);
      client.receive(answers[0] as Uint8Array, SERVER);
    }
    expect(box.result.outcome).toBe('success');
  });

  it('an ended conversation: its kept answer is not given to another NAS', async () => {
    const { fleet, client, box, send, nodes } = setUp();
    const [a, b] = nodes;
    client.start();
    while (box.result === undefined) client.receive((await send(a))[0] as Uint8Array, SERVER);
    expect(box.result.outcome).toBe('success');
    forgeAddress(fleet, '127.0.0.2');
    expect(await send(b)).toHaveLength(0);
    expect(b.cluster.stats()).toMatchObject({ ownerDropped: 1, timeouts: 0 });
    expect(a.server.stats().dropped['state-of-other-client']).toBe(1);
    expect(a.server.stats().accepted).toBe(1);
    // The real NAS's retransmit of its last request, through b from another socket: the same Accept.
    fleet.bus.tamper = (message) => message;
    const again = await send(b, { ...NAS, port: NAS.port + 1 });
    expect(again.map((x) => x[0])).toEqual([2]);
  });
});
