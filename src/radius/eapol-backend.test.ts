import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MICROSOFT_VENDOR_ID,
  MicrosoftAttributeType,
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  findAttribute,
  ntPasswordHash,
  type EapMethod,
} from '../eap/index.js';
import {
  EapolAuthenticator,
  EapolSupplicant,
  type BackendResult,
  type SupplicantResultEvent,
} from '../eapol/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { VirtualClock, createLinkPair } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapolBackend,
  RadiusServer,
  attributeValue,
  integerValue,
  parseRadius,
  type RadiusEndpoint,
  type RadiusEapolBackendOptions,
} from './index.js';

const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const PRIMARY: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const SECONDARY: RadiusEndpoint = { address: '127.0.0.2', port: 1812 };
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const users = new StaticUserStore([
  { name: 'bob', password: 'hello' },
  { name: 'alice', ntHash: ntPasswordHash('wonder') },
]);

interface Datagram {
  readonly bytes: Uint8Array;
  readonly to: RadiusEndpoint;
}

/**
 * supplicant → EAPOL authenticator → RADIUS backend → netrx RadiusServer,
 * all cores in memory on one virtual clock. Datagrams wait in `toServer` /
 * `toNas` until `pump`, which a test may filter to lose or corrupt them.
 */
function lab(
  options: {
    methods?: readonly EapMethod[];
    identity?: string;
    password?: string;
    servers?: readonly RadiusEndpoint[];
    backend?: Partial<RadiusEapolBackendOptions>;
  } = {},
) {
  const clock = new VirtualClock();
  const toServer: Datagram[] = [];
  const toNas: Datagram[] = [];
  const servers = options.servers ?? [PRIMARY];
  const radius = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [md5, mschapv2],
    users,
    send: (bytes, to) => toNas.push({ bytes: bytes.slice(), to }),
  });
  const backend = new RadiusEapolBackend({
    clock,
    crypto: nodeCrypto,
    servers: servers.map((s) => ({ ...s, secret: 'testing123' })),
    send: (bytes, to) => toServer.push({ bytes: bytes.slice(), to }),
    calledStationId: '02-00-00-00-00-0A',
    ...options.backend,
  });
  const finished: BackendResult[] = [];
  const pair = createLinkPair();
  const authenticator = new EapolAuthenticator({
    adapter: pair.a,
    clock,
    backend: {
      begin: (supplicant, identity, callbacks) =>
        backend.begin(supplicant, identity, {
          send: (eap) => callbacks.send(eap),
          finished: (result) => {
            finished.push(result);
            callbacks.finished(result);
          },
        }),
    },
  });
  const results: SupplicantResultEvent[] = [];
  const supplicant = new EapolSupplicant({
    adapter: pair.b,
    clock,
    methods: options.methods ?? [md5],
    identity: options.identity ?? 'bob',
    password: options.password ?? 'hello',
    onResult: (event) => results.push(event),
  });
  /** Only the server at PRIMARY exists; a datagram for anyone else is lost. */
  let serverFilter: (d: Datagram) => Datagram | undefined = (d) => d;
  let nasFilter: (d: Datagram) => Datagram | undefined = (d) => d;
  const pump = () => {
    for (let round = 0; round < 1000; round++) {
      let moved = pair.flush();
      for (const d of toServer.splice(0)) {
        moved++;
        const kept = serverFilter(d);
        if (kept !== undefined && kept.to.address === PRIMARY.address)
          radius.receive(kept.bytes, NAS);
      }
      for (const d of toNas.splice(0)) {
        moved++;
        const kept = nasFilter(d);
        if (kept !== undefined) backend.receive(kept.bytes, PRIMARY);
      }
      if (moved === 0) return;
    }
    throw new Error('pump: no quiescence');
  };
  return {
    clock,
    radius,
    backend,
    authenticator,
    supplicant,
    results,
    finished,
    toServer,
    pump,
    pair,
    setServerFilter: (f: typeof serverFilter) => (serverFilter = f),
    setNasFilter: (f: typeof nasFilter) => (nasFilter = f),
  };
}

describe('RadiusEapolBackend: 802.1X pass-through to RADIUS', () => {
  it('EAP-MD5 end to end: supplicant → authenticator → backend → RadiusServer, port authorised', () => {
    const requests: Uint8Array[] = [];
    const t = lab();
    t.setServerFilter((d) => (requests.push(d.bytes), d));
    t.supplicant.start();
    t.pump();
    expect(t.results.map((r) => r.outcome)).toEqual(['success']);
    const first = parseRadius(requests[0]!);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const packet = first.value;
    expect(packet.attributes[0]?.type).toBe(RadiusAttributeType.MessageAuthenticator);
    const text = (type: number) => new TextDecoder().decode(attributeValue(packet, type));
    expect(text(RadiusAttributeType.UserName)).toBe('bob');
    expect(text(RadiusAttributeType.CallingStationId)).toBe('02:00:00:00:00:0b');
    expect(text(RadiusAttributeType.CalledStationId)).toBe('02-00-00-00-00-0A');
    expect(integerValue(attributeValue(packet, RadiusAttributeType.NasPortType))).toBe(15);
    expect(integerValue(attributeValue(packet, RadiusAttributeType.ServiceType))).toBe(2);
    expect(attributeValue(packet, RadiusAttributeType.State)).toBeUndefined();
    // The second request carries the State of the Challenge.
    const second = parseRadius(requests[1]!);
    expect(second.ok && attributeValue(second.value, RadiusAttributeType.State)).toBeTruthy();

    expect(t.supplicant.state).toBe('AUTHENTICATED');
    expect(t.finished.map((r) => r.outcome)).toEqual(['success']);
    expect(t.pair.a.controlledPort.isAuthorized(t.pair.b.mac)).toBe(true);
    expect(t.backend.stats()).toMatchObject({
      accepted: 1,
      challenged: 1,
      retransmissions: 0,
      conversations: 0,
      dropped: {},
    });
    expect(t.radius.stats().accepted).toBe(1);
  });

  it('EAP-MSCHAPv2 end to end against an NT-hash user: the unsalted MPPE keys are the supplicant’s', () => {
    const { supplicant, results, finished, pump } = lab({
      methods: [mschapv2],
      identity: 'alice',
      password: 'wonder',
    });
    supplicant.start();
    pump();
    expect(results.map((r) => r.outcome)).toEqual(['success']);
    const result = finished[0]!;
    expect(result.outcome).toBe('success');
    const key = (attributes: BackendResult['attributes'] | undefined, vendorType: number) =>
      findAttribute(attributes, RadiusAttributeType.VendorSpecific, {
        vendorId: MICROSOFT_VENDOR_ID,
        vendorType,
      })?.value;
    const serverRecv = key(result.attributes, MicrosoftAttributeType.MsMppeRecvKey);
    const serverSend = key(result.attributes, MicrosoftAttributeType.MsMppeSendKey);
    const peer = results[0]!.eap?.attributes;
    expect(serverRecv).toBeDefined();
    expect(serverRecv).toEqual(key(peer, MicrosoftAttributeType.MsMppeSendKey));
    expect(serverSend).toEqual(key(peer, MicrosoftAttributeType.MsMppeRecvKey));
  });

  it('Access-Reject sends EAP-Failure and ends as failure', () => {
    const { supplicant, results, finished, pump, pair, backend } = lab({ password: 'nope' });
    supplicant.start();
    pump();
    expect(finished.map((r) => r.outcome)).toEqual(['failure']);
    expect(finished[0]?.reason).toMatch(/Access-Reject/);
    expect(results.map((r) => r.outcome)).toEqual(['failure']);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(false);
    expect(backend.stats()).toMatchObject({ rejected: 1, conversations: 0 });
  });

  it('a lost Access-Request is resent unchanged after timeoutMs, and the conversation goes on', () => {
    const t = lab();
    const seen: Uint8Array[] = [];
    let lose = 1;
    t.setServerFilter((d) => {
      seen.push(d.bytes);
      return lose-- > 0 ? undefined : d;
    });
    t.supplicant.start();
    t.pump();
    expect(t.finished).toEqual([]);
    t.clock.advance(1999);
    t.pump();
    expect(seen).toHaveLength(1);
    t.clock.advance(1);
    t.pump();
    expect(seen[1]).toEqual(seen[0]);
    expect(t.results.map((r) => r.outcome)).toEqual(['success']);
    expect(t.backend.stats().retransmissions).toBe(1);
  });

  it('responses with a bad Response Authenticator or Message-Authenticator are dropped and counted; the good retransmission wins', () => {
    const t = lab();
    const requestAuthenticators = new Map<number, Uint8Array>();
    t.setServerFilter((d) => (requestAuthenticators.set(d.bytes[1]!, d.bytes.slice(4, 20)), d));
    let corrupt = 2;
    t.setNasFilter((d) => {
      if (corrupt <= 0) return d;
      const bytes = d.bytes.slice();
      if (corrupt === 2) {
        bytes[4] = (bytes[4] as number) ^ 1; // the Response Authenticator
      } else {
        // The Message-Authenticator (first attribute, value at 22), with a Response Authenticator made good again over it.
        bytes[22] = (bytes[22] as number) ^ 1;
        const copy = bytes.slice();
        copy.set(requestAuthenticators.get(bytes[1]!)!, 4);
        bytes.set(nodeCrypto.digest('md5', copy, new TextEncoder().encode('testing123')), 4);
      }
      corrupt--;
      return { ...d, bytes };
    });
    t.supplicant.start();
    t.pump();
    expect(t.backend.stats().dropped).toEqual({ 'bad-response-authenticator': 1 });
    t.clock.advance(2000);
    t.pump();
    expect(t.backend.stats().dropped).toEqual({
      'bad-response-authenticator': 1,
      'message-authenticator-bad': 1,
    });
    t.clock.advance(2000);
    t.pump();
    expect(t.results.map((r) => r.outcome)).toEqual(['success']);
    expect(t.backend.stats().retransmissions).toBe(2);
  });

  it('a wrong shared secret: the server drops our requests, and the retries end in a timeout', () => {
    const t = lab({ backend: { servers: [{ ...PRIMARY, secret: 'other' }] } });
    t.supplicant.start();
    t.pump();
    t.clock.advance(2000 * 3);
    t.pump();
    expect(t.finished.map((r) => r.outcome)).toEqual(['timeout']);
    // (The PAE then starts over, so a new conversation may be open.)
    expect(t.backend.stats()).toMatchObject({ retransmissions: 2, timeouts: 1 });
    expect(t.radius.stats().dropped['message-authenticator-bad']).toBeGreaterThanOrEqual(3);
  });

  it('fails over to the next server from the Response/Identity, which then stays preferred', () => {
    const t = lab({ servers: [SECONDARY, PRIMARY] });
    const to: string[] = [];
    t.setServerFilter((d) => (to.push(d.to.address), d));
    t.supplicant.start();
    t.pump();
    t.clock.advance(6000);
    t.pump();
    expect(to).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.1', '127.0.0.1']);
    expect(t.results.map((r) => r.outcome)).toEqual(['success']);
    expect(t.backend.stats().failovers).toBe(1);
  });

  it('every server silent: finished timeout after retries on each', () => {
    const t = lab({ servers: [SECONDARY, { address: '127.0.0.3', port: 1812 }] });
    t.supplicant.start();
    t.pump();
    t.clock.advance(12_000);
    t.pump();
    expect(t.finished.map((r) => r.outcome)).toEqual(['timeout']);
    expect(t.finished[0]?.reason).toMatch(/no answer from 127\.0\.0\.2:1812, 127\.0\.0\.3:1812/);
    expect(t.backend.stats()).toMatchObject({ retransmissions: 4, failovers: 1, timeouts: 1 });
  });

  it('abort drops the conversation: its late answer is dropped and nothing reaches the PAE', () => {
    const t = lab();
    let hold = true;
    const held: Uint8Array[] = [];
    t.setNasFilter((d) => (hold ? (held.push(d.bytes), undefined) : d));
    t.supplicant.start();
    t.pump();
    expect(t.backend.stats().conversations).toBe(1);
    t.supplicant.logoff();
    t.pump();
    expect(t.backend.stats().conversations).toBe(0);
    hold = false;
    for (const bytes of held) t.backend.receive(bytes, PRIMARY);
    expect(t.backend.stats().dropped).toEqual({ 'unknown-identifier': held.length });
    expect(t.finished).toEqual([]);
  });

  it('a silent supplicant gets the EAP Request again (doubling), then the conversation times out', () => {
    const t = lab();
    const sent: Uint8Array[] = [];
    const ended: BackendResult[] = [];
    // The backend alone, as the PAE drives it: the Response/Identity opens, then nobody answers.
    t.backend.begin(
      { mac: new Uint8Array(6), macText: '02:00:00:00:00:0c', identity: 'bob' },
      Uint8Array.of(2, 7, 0, 8, 1, ...new TextEncoder().encode('bob')),
      { send: (eap) => sent.push(eap.slice()), finished: (r) => ended.push(r) },
    );
    t.pump();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[0]).toBe(1); // the server's MD5 Request
    for (const wait of [3000, 6000, 12_000]) {
      t.clock.advance(wait - 1);
      expect(sent).toHaveLength(sent.length);
      const before = sent.length;
      t.clock.advance(1);
      expect(sent).toHaveLength(before + 1);
      expect(sent[before]).toEqual(sent[0]);
    }
    t.clock.advance(24_000);
    expect(ended.map((r) => r.outcome)).toEqual(['timeout']);
    expect(ended[0]?.reason).toMatch(/supplicant/);
    expect(t.backend.stats().conversations).toBe(0);
  });

  it('rejects an empty server list and bad retry counts', () => {
    const base = {
      clock: new VirtualClock(),
      crypto: nodeCrypto,
      send: () => undefined,
    };
    expect(() => new RadiusEapolBackend({ ...base, servers: [] })).toThrow(/at least one server/);
    expect(
      () =>
        new RadiusEapolBackend({
          ...base,
          servers: [{ ...PRIMARY, secret: 's' }],
          retries: -1,
        }),
    ).toThrow(/retries/);
  });

  it('drops junk and unanswered Identifiers without throwing', () => {
    const t = lab();
    t.backend.receive(new Uint8Array(3), PRIMARY);
    t.backend.receive(
      Uint8Array.of(RadiusCode.AccessAccept, 9, 0, 20, ...new Uint8Array(16)),
      PRIMARY,
    );
    expect(Object.keys(t.backend.stats().dropped).sort()).toEqual([
      'malformed:truncated',
      'unknown-identifier',
    ]);
  });
});

describe('RadiusEapolBackend under random input', () => {
  it('random and mutated datagrams never throw, and a conversation still ends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        (mutations, junk) => {
          const t = lab();
          t.setNasFilter((d) => {
            const bytes = d.bytes.slice();
            for (const [at, value] of mutations) bytes[at % bytes.length] = value;
            return { ...d, bytes };
          });
          t.supplicant.start();
          t.pump();
          for (const bytes of junk) t.backend.receive(bytes, PRIMARY);
          t.clock.advance(6000);
          t.pump();
          // Mutated answers are dropped (or, unchanged by the mutation, accepted): either way it ended.
          expect(t.finished.length + t.results.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 50 },
    );
  });
});
