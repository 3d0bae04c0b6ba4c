// RadiusSessionEnded says how long the conversation ran (issue 14 review L4:
// the dashboard's snapshot rows had no duration, because nothing but the
// page's own pairing of EAP events knew it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  ntPasswordHash,
} from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { TraceRegistry, decodePayload, type TraceEvent } from '../trace/index.js';
import {
  RADIUS_PROVIDER,
  RadiusEapClient,
  RadiusServer,
  type RadiusEndpoint,
  type RadiusEapResult,
} from './index.js';
import { durationOf, type Conversation } from './server-context.js';

const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const users = new StaticUserStore([
  { name: 'bob', password: 'hello' },
  { name: 'alice', ntHash: ntPasswordHash('wonder') },
]);

/**
 * A client and a server in memory, each answer of the server held for the
 * next of `delays` (virtual milliseconds) before the client reads it. What
 * the server's RadiusSessionEnded events said, and when each request
 * reached the server (the oracle: the first one began the conversation).
 */
function run(method: 'md5' | 'mschapv2', password: string, delays: readonly number[]) {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const ended: Record<string, unknown>[] = [];
  trace.enable(RADIUS_PROVIDER.name, (event: TraceEvent) => {
    if (event.descriptor.name !== 'RadiusSessionEnded') return;
    const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
    if (decoded.ok) ended.push(decoded.values);
  });
  const held: Uint8Array[] = [];
  const arrivals: number[] = [];
  const server = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    trace,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [md5, mschapv2],
    users,
    send: (datagram) => held.push(datagram),
  });
  let result: RadiusEapResult | undefined;
  const client = new RadiusEapClient({
    clock,
    crypto: nodeCrypto,
    servers: [{ ...SERVER, secret: 'testing123' }],
    methods: [method === 'md5' ? md5 : mschapv2],
    identity: method === 'md5' ? 'bob' : 'alice',
    password,
    send: (datagram) => {
      arrivals.push(clock.now());
      server.receive(datagram, NAS);
    },
    onResult: (r) => (result = r),
  });
  client.start();
  for (let round = 0; result === undefined && round < 16; round++) {
    clock.advance(delays[round % delays.length] ?? 0);
    for (const datagram of held.splice(0)) client.receive(datagram, SERVER);
  }
  return { ended, arrivals, result };
}

describe('RadiusSessionEnded: durationMs', () => {
  it('is the time from the request that began the conversation to the one that ended it (delays and methods drawn)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('md5' as const, 'mschapv2' as const),
        fc.boolean(),
        // Under the client's 2 s retransmit timer: one request per round.
        fc.array(fc.integer({ min: 0, max: 1900 }), { minLength: 1, maxLength: 6 }),
        (method, right, delays) => {
          const password = right ? (method === 'md5' ? 'hello' : 'wonder') : 'wrong';
          const { ended, arrivals, result } = run(method, password, delays);
          expect(result?.outcome).toBe(right ? 'success' : 'failure');
          expect(ended).toHaveLength(1);
          const first = arrivals[0] ?? NaN;
          const last = arrivals[arrivals.length - 1] ?? NaN;
          expect(ended[0]?.['durationMs']).toBe(last - first);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is -1 for a conversation begun on another server, whole and clamped to an i32 otherwise', () => {
    const conversation = (startedAtMs: number | undefined) =>
      ({ startedAtMs }) as unknown as Conversation;
    expect(durationOf(conversation(undefined), 5000)).toBe(-1);
    expect(durationOf(conversation(1000), 1234.6)).toBe(235);
    // A clock that stepped back says 0, never a negative (read as "not known").
    expect(durationOf(conversation(1000), 900)).toBe(0);
    expect(durationOf(conversation(0), 2 ** 40)).toBe(0x7fff_ffff);
  });
});
