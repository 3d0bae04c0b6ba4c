/**
 * One NAS, two spellings of its address: a dual-stack socket reports an
 * IPv4 NAS as `::ffff:127.0.0.1`, an IPv4 socket as `127.0.0.1`, and IPv6
 * text varies (`fd00::a`, `FD00:0:0:0:0:0:0:A`). A conversation whose rounds
 * arrive under both spellings is one NAS's (src/radius/nas-address.ts):
 * forwarded to its owner, restored from the bucket, answered on one server
 * from two sockets, and its last round's retransmit answered again. A
 * forward from a server that still sends the socket's spelling is answered too.
 */
import { describe, expect, it } from 'vitest';
import {
  RadiusEapClient,
  decodeForwardedRequest,
  encodeForwardedRequest,
  type RadiusEndpoint,
} from '../../radius/index.js';
import { nodeCrypto } from '../runtime/index.js';
import {
  NAS,
  SERVER,
  dropped,
  flush,
  makeFleet,
  mschapv2,
  sum,
  type Node,
} from './radius-fleet.js';

/**
 * The NAS's last request again, at `node` from another port under the
 * dual-stack spelling (a NAS failing over to another socket): the codes answered.
 */
async function retransmitLast(fleet: ReturnType<typeof makeFleet>, node: Node) {
  const before = fleet.answers.length;
  fleet.deliverTo(node, fleet.sent.at(-1) as Uint8Array, {
    address: `::ffff:${NAS.address}`,
    port: NAS.port + 1,
  });
  await flush();
  return fleet.answers.slice(before).map((answer) => answer[0]);
}

/** Delivery n at its server: the dual-stack spelling on even deliveries, the IPv4 one on odd. */
const alternating = (n: number) => (n % 2 === 0 ? `::ffff:${NAS.address}` : NAS.address);

describe('a NAS whose address is spelt two ways (dual-stack and IPv4 sockets)', () => {
  it.each([
    ['forwarded to the owner (no bucket)', [undefined, undefined, undefined]],
    ['restored from the bucket', undefined],
  ] as const)('%s: MSCHAPv2 succeeds over two servers', async (_name, keys) => {
    // a and b take the rounds; c has never seen the conversation when the retransmit comes.
    const fleet = makeFleet({
      ids: ['a', 'b', 'c'],
      ...(keys === undefined ? {} : { keys }),
      methods: [mschapv2],
      nasAddress: alternating,
      route: (n) => n % 2,
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBe(0);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    // The last request again at each server from another socket (dual-stack): the same Accept.
    for (const node of fleet.nodes) expect(await retransmitLast(fleet, node)).toEqual([2]);
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBe(0);
  });

  it("a forward whose envelope carries the socket's spelling (a server before the fix): answered", async () => {
    const fleet = makeFleet({
      ids: ['a', 'b'],
      keys: [undefined, undefined],
      methods: [mschapv2],
      nasAddress: alternating,
    });
    fleet.bus.tamper = (message) => {
      const request = decodeForwardedRequest(message);
      if (request === undefined) return message;
      return encodeForwardedRequest({ ...request, address: `::ffff:${request.address}` });
    };
    const result = await fleet.authenticate([mschapv2]);
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBe(0);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(sum(fleet.nodes, (n) => n.cluster.stats().answered)).toBeGreaterThan(0);
  });

  it('one request forwarded by two receivers under two spellings: the owner answers it once', async () => {
    const fleet = makeFleet({ ids: ['a', 'b', 'c'], keys: [undefined, undefined, undefined] });
    const [a, b, c] = fleet.nodes as [Node, Node, Node];
    // The NAS's first two rounds at a (the owner), by hand: Identity, then the MSCHAPv2 Response.
    const held: Uint8Array[] = [];
    const client = new RadiusEapClient({
      clock: fleet.clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [mschapv2],
      identity: 'bob',
      password: 'hello',
      timeoutMs: 600_000,
      send: (datagram) => held.push(datagram.slice()),
      onResult: () => undefined,
    });
    const at = async (node: Node, from: RadiusEndpoint) => {
      const answers: Uint8Array[] = [];
      node.cluster.receive(held.at(-1) as Uint8Array, from, 'auth', (x) => answers.push(x));
      await flush();
      return [...answers, ...fleet.answers.splice(0)];
    };
    client.start();
    client.receive((await at(a, NAS))[0] as Uint8Array, SERVER);
    expect(await at(a, NAS)).toHaveLength(1);
    const challenged = a.server.stats().challenged;
    // Its retransmit (the answer lost) reaches b from a dual-stack socket and c from an IPv4 one.
    expect(await at(b, { ...NAS, address: `::ffff:${NAS.address}` })).toHaveLength(1);
    expect(await at(c, NAS)).toHaveLength(1);
    // Both forwards name one NAS: the owner's duplicate cache answers them, nothing runs again.
    expect(a.server.stats().challenged).toBe(challenged);
    expect(b.cluster.stats().answered + c.cluster.stats().answered).toBe(2);
  });

  it('one server, two sockets: the conversation goes on', async () => {
    const fleet = makeFleet({
      ids: ['a'],
      keys: [undefined],
      methods: [mschapv2],
      nasAddress: alternating,
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBe(0);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    // Its answer kept for a retransmit from another socket: given again.
    expect(await retransmitLast(fleet, fleet.nodes[0] as Node)).toEqual([2]);
  });

  it('an IPv6 NAS spelt compressed and in full, in either case', async () => {
    const spellings = ['fd00::a', 'FD00:0:0:0:0:0:0:A', 'fd00:0000::000a'];
    const fleet = makeFleet({
      ids: ['a', 'b', 'c'],
      keys: [undefined, undefined, undefined],
      methods: [mschapv2],
      clients: [{ address: 'fd00::/8', secret: 'testing123' }],
      nasAddress: (n) => spellings[n % spellings.length] as string,
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBe(0);
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
  });

  it('another NAS is still another NAS', async () => {
    const fleet = makeFleet({
      ids: ['a', 'b'],
      keys: [undefined, undefined],
      methods: [mschapv2],
      nasAddress: (n) => (n === 0 ? NAS.address : '::ffff:127.0.0.2'),
    });
    const result = await fleet.authenticate([mschapv2]);
    expect(result?.outcome).toBe('timeout');
    expect(dropped(fleet.nodes, 'state-of-other-client')).toBeGreaterThan(0);
  });
});
