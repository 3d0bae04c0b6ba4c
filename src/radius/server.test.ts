import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import {
  StaticUserStore,
  createMd5Method,
  createMschapV2Method,
  ntPasswordHash,
  type EapMethod,
} from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusClientTable,
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  attributeValue,
  attributeValues,
  emitRadius,
  hideUserPassword,
  parseRadius,
  signAccessRequest,
  signAccountingRequest,
  type AccountingRecord,
  type RadiusEapResult,
  type RadiusEndpoint,
  type RadiusServerOptions,
} from './index.js';

const NAS: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const SERVER: RadiusEndpoint = { address: '127.0.0.1', port: 1812 };
const secret = new TextEncoder().encode('testing123');
const md5 = createMd5Method({ crypto: nodeCrypto });
const mschapv2 = createMschapV2Method({ crypto: nodeCrypto });
const users = new StaticUserStore([
  { name: 'bob', password: 'hello' },
  { name: 'alice', ntHash: ntPasswordHash('wonder') },
]);

function makeServer(overrides: Partial<RadiusServerOptions> = {}) {
  const clock = (overrides.clock as VirtualClock | undefined) ?? new VirtualClock();
  const sent: { datagram: Uint8Array; to: RadiusEndpoint }[] = [];
  const server = new RadiusServer({
    clock,
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.0/8', secret: 'testing123' }],
    methods: [md5, mschapv2],
    users,
    send: (datagram, to) => sent.push({ datagram, to }),
    ...overrides,
  });
  return { clock, server, sent };
}

/** A netrx client against a netrx server, both cores, joined in memory. */
function converse(options: {
  methods: readonly EapMethod[];
  identity: string;
  password: string;
  server?: Partial<RadiusServerOptions>;
}) {
  const clock = new VirtualClock();
  const box: { client?: RadiusEapClient } = {};
  const { server } = makeServer({
    clock,
    ...options.server,
    send: (datagram) => box.client?.receive(datagram, SERVER),
  });
  let result: RadiusEapResult | undefined;
  const client = new RadiusEapClient({
    clock,
    crypto: nodeCrypto,
    servers: [{ ...SERVER, secret: 'testing123' }],
    methods: options.methods,
    identity: options.identity,
    password: options.password,
    send: (datagram) => server.receive(datagram, NAS),
    onResult: (r) => (result = r),
  });
  box.client = client;
  client.start();
  return { clock, server, client, result: () => result };
}

function accessRequest(attributes: { type: number; value: Uint8Array }[], id = 1) {
  return signAccessRequest(
    nodeCrypto,
    RadiusCode.AccessRequest,
    id,
    nodeCrypto.randomBytes(16),
    attributes,
    secret,
  );
}

const eapStart = { type: RadiusAttributeType.EapMessage, value: new Uint8Array(0) };

describe('RadiusServer with RadiusEapClient (EAP over RADIUS, RFC 3579)', () => {
  it('EAP-MD5: success in 2 Access-Requests, no keys', () => {
    const run = converse({ methods: [md5], identity: 'bob', password: 'hello' });
    expect(run.result()).toMatchObject({ outcome: 'success', requests: 2, keysMatch: undefined });
    expect(run.server.stats()).toMatchObject({ accepted: 1, challenged: 1, sessions: 0 });
  });

  it('EAP-MSCHAPv2 from an NT hash: success after a Nak of MD5, keys salted by the server match the peer', () => {
    const run = converse({ methods: [mschapv2], identity: 'alice', password: 'wonder' });
    const result = run.result();
    expect(result).toMatchObject({ outcome: 'success', keysMatch: true });
    expect(result?.keys?.recvKey).toHaveLength(16);
    expect(result?.keys?.sendKey).toHaveLength(16);
    // Identity, Nak, Response, Success Response.
    expect(result?.requests).toBe(4);
  });

  it('a wrong password is an Access-Reject carrying EAP-Failure', () => {
    const md5Run = converse({ methods: [md5], identity: 'bob', password: 'nope' });
    expect(md5Run.result()?.outcome).toBe('failure');
    expect(md5Run.result()?.reason).toMatch(/^Access-Reject/);
    const mschapRun = converse({ methods: [mschapv2], identity: 'alice', password: 'nope' });
    expect(mschapRun.result()).toMatchObject({ outcome: 'failure' });
    expect(mschapRun.result()?.eap?.resultCode).toBe(691);
    expect(mschapRun.server.stats()).toMatchObject({ rejected: 1, sessions: 0 });
  });

  it('answers EAP-Start with Request/Identity and State, and puts Message-Authenticator first in every response', () => {
    const { server, sent } = makeServer();
    server.receive(accessRequest([eapStart]), NAS);
    expect(sent).toHaveLength(1);
    const response = parseRadius(sent[0]!.datagram);
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect(response.value.code).toBe(RadiusCode.AccessChallenge);
    expect(response.value.attributes[0]?.type).toBe(RadiusAttributeType.MessageAuthenticator);
    expect(attributeValue(response.value, RadiusAttributeType.State)).toHaveLength(16);
    const eap = attributeValue(response.value, RadiusAttributeType.EapMessage);
    expect(eap?.[0]).toBe(1);
    expect(eap?.[4]).toBe(1);
  });

  it('an Access-Challenge carries no Session-Timeout: a NAS reads it as its EAP retransmit timer, not our session expiry (RFC 3579)', () => {
    const { server, sent } = makeServer({ sessionTimeoutMs: 30_000 });
    server.receive(accessRequest([eapStart]), NAS);
    const response = parseRadius(sent[0]!.datagram);
    expect(response.ok && response.value.code).toBe(RadiusCode.AccessChallenge);
    if (!response.ok) return;
    expect(attributeValue(response.value, RadiusAttributeType.SessionTimeout)).toBeUndefined();
  });

  it('a new Response/Identity carrying a live State starts a new conversation (a supplicant that restarted), as FreeRADIUS does', () => {
    const { server, sent } = makeServer();
    const identity = (id: number) => ({
      type: RadiusAttributeType.EapMessage,
      value: Uint8Array.of(2, id, 0, 8, 1, 0x62, 0x6f, 0x62), // Response/Identity "bob"
    });
    server.receive(accessRequest([identity(1)], 1), NAS);
    const first = parseRadius(sent[0]!.datagram);
    if (!first.ok) throw new Error('no first answer');
    expect(first.value.code).toBe(RadiusCode.AccessChallenge);
    const state = attributeValue(first.value, RadiusAttributeType.State)!;
    // The supplicant restarts; the NAS still echoes the old State.
    server.receive(
      accessRequest([identity(9), { type: RadiusAttributeType.State, value: state }], 2),
      NAS,
    );
    expect(sent).toHaveLength(2);
    const second = parseRadius(sent[1]!.datagram);
    if (!second.ok) throw new Error('no second answer');
    expect(second.value.code).toBe(RadiusCode.AccessChallenge);
    expect(attributeValue(second.value, RadiusAttributeType.State)).not.toEqual(state);
    expect(server.stats()).toMatchObject({ sessions: 1, expired: 0, dropped: {} });
  });

  it('drops an Access-Request that arrives on the accounting port as wrong-port, and answers it on the auth port', () => {
    const { server, sent } = makeServer();
    server.receive(accessRequest([eapStart], 7), NAS, 'acct');
    expect(sent).toHaveLength(0);
    expect(server.stats().dropped).toEqual({ 'wrong-port': 1 });
    server.receive(accessRequest([eapStart], 8), NAS, 'auth');
    expect(sent).toHaveLength(1);
  });

  it('answers a retransmitted request from its cache, byte for byte, without running EAP again (RFC 5080)', () => {
    const { server, sent } = makeServer();
    const request = accessRequest([eapStart]);
    server.receive(request, NAS);
    server.receive(request, NAS);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.datagram).toEqual(sent[0]!.datagram);
    expect(server.stats()).toMatchObject({ duplicatesAnswered: 1, sessionsStarted: 1 });
    // Another source port is another request.
    server.receive(request, { ...NAS, port: 40001 });
    expect(server.stats().sessionsStarted).toBe(2);
  });

  it('drops and counts unknown clients, a wrong secret, a missing or bad Message-Authenticator, and one not first when strict', () => {
    const { server, sent } = makeServer({
      clients: [
        { address: '127.0.0.1', secret: 'testing123' },
        { address: '10.0.0.0/8', secret: 'testing123', requireMessageAuthenticatorFirst: true },
      ],
    });
    server.receive(accessRequest([eapStart]), { address: '192.0.2.1', port: 1 });
    server.receive(
      signAccessRequest(
        nodeCrypto,
        1,
        2,
        nodeCrypto.randomBytes(16),
        [eapStart],
        new TextEncoder().encode('wrong'),
      ),
      NAS,
    );
    server.receive(emitRadius(1, 3, nodeCrypto.randomBytes(16), [eapStart]), NAS);
    const good = accessRequest([eapStart], 4);
    const tampered = good.slice();
    tampered[22] = (tampered[22] as number) ^ 1; // a bit of the Message-Authenticator's value
    server.receive(tampered, NAS);
    // Message-Authenticator after EAP-Message: fine by default, refused where strict.
    const late = emitRadius(1, 5, nodeCrypto.randomBytes(16), [
      eapStart,
      { type: RadiusAttributeType.MessageAuthenticator, value: new Uint8Array(16) },
    ]);
    late.set(nodeCrypto.hmac('md5', secret, late), late.length - 16);
    server.receive(late, { address: '10.1.2.3', port: 9 });
    server.receive(late, NAS);
    // PAP without a Message-Authenticator: refused by default (BlastRADIUS).
    const pap = emitRadius(1, 6, new Uint8Array(16), [
      { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
      {
        type: RadiusAttributeType.UserPassword,
        value: hideUserPassword(
          nodeCrypto,
          new TextEncoder().encode('hello'),
          secret,
          new Uint8Array(16),
        ),
      },
    ]);
    server.receive(pap, NAS);
    expect(server.stats().dropped).toEqual({
      'unknown-client': 1,
      'message-authenticator-bad': 2,
      'message-authenticator-missing': 2,
      'message-authenticator-not-first': 1,
    });
    expect(sent).toHaveLength(1); // only the late-but-valid one from 127.0.0.1
  });

  it('with requireMessageAuthenticator off, PAP without one is checked (and a bad password rejected)', () => {
    const { server, sent } = makeServer({
      clients: [{ address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: false }],
    });
    const pap = (id: number, password: string) => {
      const authenticator = nodeCrypto.randomBytes(16);
      return emitRadius(1, id, authenticator, [
        { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
        {
          type: RadiusAttributeType.UserPassword,
          value: hideUserPassword(
            nodeCrypto,
            new TextEncoder().encode(password),
            secret,
            authenticator,
          ),
        },
      ]);
    };
    server.receive(pap(1, 'hello'), NAS);
    server.receive(pap(2, 'nope'), NAS);
    expect(sent.map((s) => s.datagram[0])).toEqual([
      RadiusCode.AccessAccept,
      RadiusCode.AccessReject,
    ]);
  });

  it('echoes Proxy-State in order and drops a request with more than maxProxyStates', () => {
    const { server, sent } = makeServer({ maxProxyStates: 2 });
    const proxy = (n: number) => ({
      type: RadiusAttributeType.ProxyState,
      value: Uint8Array.of(n),
    });
    server.receive(accessRequest([eapStart, proxy(1), proxy(2)]), NAS);
    const response = parseRadius(sent[0]!.datagram);
    expect(response.ok && attributeValues(response.value, RadiusAttributeType.ProxyState)).toEqual([
      Uint8Array.of(1),
      Uint8Array.of(2),
    ]);
    server.receive(accessRequest([eapStart, proxy(1), proxy(2), proxy(3)], 9), NAS);
    expect(server.stats().dropped).toEqual({ 'too-many-proxy-state': 1 });
  });

  it('answers Status-Server (RFC 5997) only with a valid Message-Authenticator', () => {
    const { server, sent } = makeServer();
    server.receive(
      signAccessRequest(
        nodeCrypto,
        RadiusCode.StatusServer,
        7,
        nodeCrypto.randomBytes(16),
        [],
        secret,
      ),
      NAS,
    );
    server.receive(emitRadius(RadiusCode.StatusServer, 8, nodeCrypto.randomBytes(16), []), NAS);
    server.receive(
      signAccessRequest(
        nodeCrypto,
        RadiusCode.StatusServer,
        9,
        nodeCrypto.randomBytes(16),
        [],
        secret,
      ),
      NAS,
      'acct',
    );
    expect(sent.map((s) => s.datagram[0])).toEqual([
      RadiusCode.AccessAccept,
      RadiusCode.AccountingResponse,
    ]);
    expect(server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
  });

  it('verifies Accounting-Requests, records Start/Interim/Stop per session, and does not answer when the sink fails', () => {
    const records: AccountingRecord[] = [];
    let failing = false;
    const { server, sent } = makeServer({
      accounting: (record) => {
        if (failing) throw new Error('disk full');
        records.push(record);
      },
    });
    const acct = (id: number, status: number) =>
      signAccountingRequest(
        nodeCrypto,
        id,
        [
          { type: RadiusAttributeType.AcctStatusType, value: Uint8Array.of(0, 0, 0, status) },
          { type: RadiusAttributeType.AcctSessionId, value: new TextEncoder().encode('s1') },
          { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('bob') },
        ],
        secret,
      );
    server.receive(acct(1, 1), NAS, 'acct');
    expect(server.accountingSessions()).toMatchObject([
      { sessionId: 's1', userName: 'bob', interimUpdates: 0 },
    ]);
    server.receive(acct(2, 3), NAS, 'acct');
    expect(server.accountingSessions()[0]?.interimUpdates).toBe(1);
    server.receive(acct(3, 2), NAS, 'acct');
    expect(server.accountingSessions()).toEqual([]);
    expect(records.map((r) => r.statusType)).toEqual([1, 3, 2]);
    expect(records[0]?.attributes).toContainEqual({ name: 'Acct-Session-Id', value: 's1' });
    expect(sent.map((s) => s.datagram[0])).toEqual([5, 5, 5]);
    // A bad Request Authenticator, the wrong port, a failing sink: no answer.
    const bad = acct(4, 1);
    bad[5] = (bad[5] as number) ^ 1;
    server.receive(bad, NAS, 'acct');
    server.receive(acct(5, 1), NAS, 'auth');
    failing = true;
    server.receive(acct(6, 1), NAS, 'acct');
    expect(sent).toHaveLength(3);
    expect(server.stats().dropped).toEqual({
      'bad-request-authenticator': 1,
      'wrong-port': 1,
      'accounting-sink-failed': 1,
    });
  });

  it('ends a conversation abandoned halfway after sessionTimeoutMs, and refuses past maxSessions', () => {
    const { clock, server } = makeServer({ sessionTimeoutMs: 1000, maxSessions: 2 });
    for (let i = 0; i < 3; i++) server.receive(accessRequest([eapStart], i), NAS);
    expect(server.stats()).toMatchObject({ sessions: 2, dropped: { 'sessions-full': 1 } });
    clock.advance(1000);
    expect(server.stats()).toMatchObject({ sessions: 0, expired: 2 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects an EAP Response whose State it does not know (not an Identity)', () => {
    const { server, sent } = makeServer();
    server.receive(
      accessRequest([
        { type: RadiusAttributeType.EapMessage, value: Uint8Array.of(2, 5, 0, 6, 4, 0) },
        { type: RadiusAttributeType.State, value: new Uint8Array(16) },
      ]),
      NAS,
    );
    expect(sent[0]?.datagram[0]).toBe(RadiusCode.AccessReject);
    expect(server.stats()).toMatchObject({ rejected: 1, droppedTotal: 0, sessions: 0 });
  });

  it('the client retransmits unchanged, fails over to the next server from the start, and times out after the last', () => {
    const clock = new VirtualClock();
    const sent: { datagram: Uint8Array; to: RadiusEndpoint }[] = [];
    let result: RadiusEapResult | undefined;
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [
        { address: '127.0.0.1', port: 1, secret: 'a' },
        { address: '127.0.0.1', port: 2, secret: 'b' },
      ],
      methods: [md5],
      identity: 'bob',
      password: 'hello',
      timeoutMs: 100,
      retries: 1,
      send: (datagram, to) => sent.push({ datagram, to }),
      onResult: (r) => (result = r),
    });
    client.start();
    clock.advance(100);
    expect(sent.map((s) => s.to.port)).toEqual([1, 1]);
    expect(sent[1]!.datagram).toEqual(sent[0]!.datagram);
    clock.advance(100);
    expect(sent.map((s) => s.to.port)).toEqual([1, 1, 2]);
    clock.advance(200);
    expect(result).toMatchObject({ outcome: 'timeout' });
    expect(sent).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it('the client drops responses that are not verified (wrong source, Identifier or secret)', () => {
    const clock = new VirtualClock();
    const sent: Uint8Array[] = [];
    const client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ ...SERVER, secret: 'testing123' }],
      methods: [md5],
      identity: 'bob',
      password: 'hello',
      send: (datagram) => sent.push(datagram),
      onResult: () => {},
    });
    client.start();
    const request = parseRadius(sent[0]!);
    if (!request.ok) throw new Error('bad request');
    const forged = emitRadius(
      RadiusCode.AccessAccept,
      request.value.identifier,
      new Uint8Array(16),
      [],
    );
    client.receive(forged, SERVER);
    client.receive(forged, { address: '127.0.0.2', port: 1812 });
    client.receive(Uint8Array.of(1, 2, 3), SERVER);
    expect(Object.fromEntries(client.dropped)).toEqual({
      'bad-response-authenticator': 1,
      'wrong-source': 1,
      'malformed:truncated': 1,
    });
    expect(client.result).toBeUndefined();
  });

  it('RadiusClientTable: longest prefix wins, IPv4-mapped IPv6 is IPv4, bad entries are refused', () => {
    const table = new RadiusClientTable([
      { address: '10.0.0.0/8', secret: 'a', name: 'wide' },
      { address: '10.1.0.0/16', secret: 'b', name: 'narrow' },
      { address: 'fd00::/8', secret: 'c', name: 'v6' },
    ]);
    expect(table.lookup('10.1.2.3')?.name).toBe('narrow');
    expect(table.lookup('::ffff:10.2.0.1')?.name).toBe('wide');
    expect(table.lookup('fd12::1')?.name).toBe('v6');
    expect(table.lookup('11.0.0.1')).toBeUndefined();
    expect(table.lookup('not an address')).toBeUndefined();
    expect(() => new RadiusClientTable([{ address: '10.0.0.0/33', secret: 'a' }])).toThrow(
      RangeError,
    );
    expect(() => new RadiusClientTable([{ address: 'x', secret: 'a' }])).toThrow(TypeError);
    expect(() => new RadiusClientTable([{ address: '10.0.0.1', secret: '' }])).toThrow(TypeError);
  });
});
