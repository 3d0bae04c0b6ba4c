/** Per-client policies (outside review, findings 7 and 8): session caps, 'auto' Message-Authenticator and Proxy-State rules, drop traces. */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { StaticUserStore, createMd5Method } from '../eap/index.js';
import { TraceRegistry, decodePayload, type TraceEvent } from '../trace/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RADIUS_PROVIDER,
  RadiusServer,
  emitRadius,
  hideUserPassword,
  signAccessRequest,
  type RadiusAttribute,
  type RadiusClientOptions,
  type RadiusEndpoint,
  type RadiusServerOptions,
} from './index.js';

const secret = new TextEncoder().encode('testing123');
const text = (s: string) => new TextEncoder().encode(s);
const A: RadiusEndpoint = { address: '127.0.0.1', port: 40000 };
const B: RadiusEndpoint = { address: '127.0.0.2', port: 40000 };
const eapStart = { type: RadiusAttributeType.EapMessage, value: new Uint8Array(0) };
const proxyState = { type: RadiusAttributeType.ProxyState, value: text('px') };

function makeServer(clients: RadiusClientOptions[], overrides: Partial<RadiusServerOptions> = {}) {
  const sent: Uint8Array[] = [];
  const server = new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients,
    methods: [createMd5Method({ crypto: nodeCrypto })],
    users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
    send: (datagram) => sent.push(datagram),
    ...overrides,
  });
  return { server, sent };
}

let nextId = 0;
function signed(attributes: RadiusAttribute[]): Uint8Array {
  return signAccessRequest(
    nodeCrypto,
    1,
    ++nextId & 0xff,
    nodeCrypto.randomBytes(16),
    attributes,
    secret,
  );
}

/** PAP for bob/hello; `withMa` adds a Message-Authenticator. */
function pap(withMa: boolean, extra: RadiusAttribute[] = []): Uint8Array {
  const authenticator = nodeCrypto.randomBytes(16);
  const attributes = [
    { type: RadiusAttributeType.UserName, value: text('bob') },
    {
      type: RadiusAttributeType.UserPassword,
      value: hideUserPassword(nodeCrypto, text('hello'), secret, authenticator),
    },
    ...extra,
  ];
  return withMa
    ? signAccessRequest(nodeCrypto, 1, ++nextId & 0xff, authenticator, attributes, secret)
    : emitRadius(1, ++nextId & 0xff, authenticator, attributes);
}

describe('RadiusServer per-client policies', () => {
  it('one client cannot hold more than its maxSessions conversations; others still start, and an ended one frees its slot', () => {
    const { server, sent } = makeServer(
      [
        { address: '127.0.0.1', secret: 'testing123', maxSessions: 2 },
        { address: '127.0.0.2', secret: 'testing123' },
      ],
      { maxSessionsPerClient: 3 },
    );
    for (let i = 0; i < 5; i++) server.receive(signed([eapStart]), A);
    expect(server.stats()).toMatchObject({ sessions: 2, dropped: { 'client-sessions-full': 3 } });
    for (let i = 0; i < 5; i++) server.receive(signed([eapStart]), B);
    expect(server.stats()).toMatchObject({ sessions: 5, dropped: { 'client-sessions-full': 5 } });
    expect(sent).toHaveLength(5);
  });

  it('expired conversations give their slots back (the per-client count stays bounded after a flood)', () => {
    const clock = new VirtualClock();
    const { server } = makeServer([{ address: '127.0.0.1', secret: 'testing123' }], {
      clock,
      maxSessionsPerClient: 10,
      sessionTimeoutMs: 1000,
    });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) server.receive(signed([eapStart]), { ...A, port: 1000 + i });
      expect(server.stats().sessions).toBeLessThanOrEqual(10);
      clock.advance(1001);
      expect(server.stats().sessions).toBe(0);
    }
    expect(server.stats().sessionsStarted).toBe(200);
    expect(server.stats().cachedResponses).toBeLessThanOrEqual(8192);
  });

  it('rejects a bad maxSessions', () => {
    expect(() => makeServer([{ address: '127.0.0.1', secret: 's', maxSessions: 0 }])).toThrow(
      RangeError,
    );
  });

  it("requireMessageAuthenticator 'auto': a first request with Message-Authenticator makes it required from then on", () => {
    const { server, sent } = makeServer([
      { address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: 'auto' },
    ]);
    server.receive(pap(true), A);
    server.receive(pap(false), A);
    expect(sent).toHaveLength(1);
    expect(server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
  });

  it("requireMessageAuthenticator 'auto': a first request without it leaves it optional (a legacy NAS)", () => {
    const { server, sent } = makeServer([
      { address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: 'auto' },
    ]);
    server.receive(pap(false), A);
    server.receive(pap(false), A);
    server.receive(pap(true), A);
    expect(sent).toHaveLength(3);
    // A dropped EAP request without one teaches nothing: still EAP needs it.
    server.receive(emitRadius(1, 200, nodeCrypto.randomBytes(16), [eapStart]), A);
    expect(server.stats().dropped).toEqual({ 'message-authenticator-missing': 1 });
  });

  it("limitProxyState 'auto': a client whose first request had no Proxy-State is a NAS; later Proxy-State without Message-Authenticator is dropped", () => {
    const { server, sent } = makeServer([
      { address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: false },
    ]);
    server.receive(pap(false), A);
    server.receive(pap(false, [proxyState]), A);
    server.receive(pap(true, [proxyState]), A);
    expect(sent).toHaveLength(2);
    expect(server.stats().dropped).toEqual({ 'proxy-state-without-message-authenticator': 1 });
  });

  it("limitProxyState 'auto': a first request with Proxy-State marks a proxy; limitProxyState true always limits", () => {
    const proxy = makeServer([
      { address: '127.0.0.1', secret: 'testing123', requireMessageAuthenticator: false },
    ]);
    proxy.server.receive(pap(false, [proxyState]), A);
    proxy.server.receive(pap(false, [proxyState]), A);
    expect(proxy.sent).toHaveLength(2);
    const strict = makeServer([
      {
        address: '127.0.0.1',
        secret: 'testing123',
        requireMessageAuthenticator: false,
        limitProxyState: true,
      },
    ]);
    strict.server.receive(pap(false, [proxyState]), A);
    expect(strict.sent).toHaveLength(0);
    expect(strict.server.stats().dropped).toEqual({
      'proxy-state-without-message-authenticator': 1,
    });
  });

  it('every dropped datagram is a trace event with its reason and the client address', () => {
    const clock = new VirtualClock();
    const trace = new TraceRegistry({ clock });
    const events: Record<string, unknown>[] = [];
    trace.enable(RADIUS_PROVIDER.name, (event: TraceEvent) => {
      if (event.descriptor.name !== 'RadiusPacketDropped') return;
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      if (decoded.ok) events.push(decoded.values);
    });
    const { server } = makeServer([{ address: '127.0.0.1', secret: 'testing123' }], {
      clock,
      trace,
    });
    server.receive(signed([eapStart]), { address: '192.0.2.7', port: 5 });
    server.receive(Uint8Array.of(1, 2, 3), A);
    server.receive(pap(false), A);
    expect(events).toEqual([
      expect.objectContaining({ reason: 'unknown-client', address: '192.0.2.7', port: 5 }),
      expect.objectContaining({ reason: 'malformed:truncated', address: '127.0.0.1' }),
      expect.objectContaining({ reason: 'message-authenticator-missing', address: '127.0.0.1' }),
    ]);
  });
});
