import { describe, expect, it } from 'vitest';
import { LocalAuthenticationProvider, StaticUserStore, createMd5Method } from '../eap/index.js';
import { nodeCrypto } from '../node/runtime/index.js';
import { VirtualClock, createLinkPair } from '../testing/index.js';
import { TraceRegistry, decodePayload } from '../trace/index.js';
import { EapolPacketType, emitEapolFrame, parseMac } from '../wire/index.js';
import {
  EAPOL_PROVIDER,
  EapolAuthenticator,
  EapolSupplicant,
  LocalEapBackend,
  type AuthenticatorTimers,
  type EapolAuthenticatorOptions,
  type SupplicantResultEvent,
} from './index.js';

const md5 = createMd5Method({ crypto: nodeCrypto });
const PAE = parseMac('01:80:c2:00:00:03')!;

/** Adapter a is the authenticator's, b the supplicant's, on one in-memory wire. */
function lab(
  options: {
    password?: string;
    timers?: Partial<AuthenticatorTimers>;
    authenticator?: Partial<EapolAuthenticatorOptions>;
  } = {},
) {
  const clock = new VirtualClock();
  const trace = new TraceRegistry({ clock });
  const states: string[] = [];
  trace.enable(EAPOL_PROVIDER.name, (event) => {
    if (event.descriptor.name !== 'EapolStateChanged') return;
    const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
    if (decoded.ok)
      states.push(
        `${String(decoded.values['role'])}/${String(decoded.values['machine'])}:${String(decoded.values['to'])}`,
      );
  });
  const pair = createLinkPair();
  const backend = new LocalEapBackend({
    clock,
    methods: [md5],
    provider: new LocalAuthenticationProvider({
      users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
      crypto: nodeCrypto,
    }),
  });
  const authenticator = new EapolAuthenticator({
    adapter: pair.a,
    clock,
    backend,
    trace,
    ...(options.timers === undefined ? {} : { timers: options.timers }),
    ...options.authenticator,
  });
  const results: SupplicantResultEvent[] = [];
  const supplicant = new EapolSupplicant({
    adapter: pair.b,
    clock,
    methods: [md5],
    identity: 'bob',
    password: options.password ?? 'hello',
    trace,
    onResult: (event) => results.push(event),
  });
  /** A frame from the supplicant's MAC that is not EAPOL (an IPv4 packet). */
  const ipv4From = (mac: Uint8Array) => {
    const frame = new Uint8Array(60);
    frame.set(pair.a.mac, 0);
    frame.set(mac, 6);
    frame.set([0x08, 0x00], 12);
    return frame;
  };
  return { clock, pair, authenticator, supplicant, results, states, ipv4From };
}

/** An EAPOL frame from `source` to the PAE group address. */
function eapol(source: Uint8Array, packetType: number, body = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(18 + body.length);
  emitEapolFrame(frame, PAE, source, 2, packetType, body);
  return frame;
}

function randomMac(n: number): Uint8Array {
  return Uint8Array.of(0x02, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 7);
}

describe('EAPOL authenticator and supplicant over one link', () => {
  it('authenticates with EAP-MD5, and only then lets the supplicant past the controlled port', () => {
    const { pair, authenticator, supplicant, results, ipv4From } = lab();
    expect(pair.a.controlledPort.mode).toBe('per-mac');
    pair.a.indicate(ipv4From(pair.b.mac));
    expect(pair.a.stats().dropped.unauthorized).toBe(1);
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('AUTHENTICATED');
    expect(results.map((r) => r.outcome)).toEqual(['success']);
    expect(results[0]?.authenticator).toBe('02:00:00:00:00:0a');
    expect(authenticator.supplicants()).toEqual([
      {
        mac: '02:00:00:00:00:0b',
        pae: 'AUTHENTICATED',
        backend: 'IDLE',
        identity: 'bob',
        authorized: true,
      },
    ]);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(true);
    pair.a.indicate(ipv4From(pair.b.mac));
    expect(pair.a.stats().dropped.unauthorized).toBe(1);
    expect(authenticator.stats()).toMatchObject({ starts: 1, succeeded: 1, failed: 0 });
  });

  it('traces each state change of the PAE, the backend and the supplicant', () => {
    const { pair, supplicant, states } = lab();
    supplicant.start();
    pair.flush();
    expect(states.filter((s) => s.startsWith('authenticator/pae'))).toEqual([
      'authenticator/pae:DISCONNECTED',
      'authenticator/pae:RESTART',
      'authenticator/pae:CONNECTING',
      'authenticator/pae:AUTHENTICATING',
      'authenticator/pae:AUTHENTICATED',
    ]);
    expect(states).toContain('authenticator/backend:REQUEST');
    expect(states).toContain('authenticator/backend:SUCCESS');
    expect(states.filter((s) => s.startsWith('supplicant'))).toEqual([
      'supplicant/supplicant:CONNECTING',
      'supplicant/supplicant:RESTART',
      'supplicant/supplicant:AUTHENTICATING',
      'supplicant/supplicant:AUTHENTICATED',
    ]);
  });

  it('a wrong password is HELD on both sides for their periods; Starts meanwhile are ignored', () => {
    const { clock, pair, authenticator, supplicant, results, ipv4From } = lab({ password: 'nope' });
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('HELD');
    expect(results.map((r) => r.outcome)).toEqual(['failure']);
    expect(authenticator.supplicant('02:00:00:00:00:0b')?.pae).toBe('HELD');
    expect(authenticator.stats().failed).toBe(1);
    pair.a.indicate(eapol(pair.b.mac, EapolPacketType.Start));
    pair.a.indicate(eapol(pair.b.mac, EapolPacketType.Logoff));
    expect(authenticator.stats().dropped.held).toBe(2);
    pair.a.indicate(ipv4From(pair.b.mac));
    expect(pair.a.stats().dropped.unauthorized).toBe(1);
    // quietPeriod (60 s) ends: the authenticator asks again; the supplicant, HELD too, answers a Request/Identity.
    clock.advance(60_000);
    pair.flush();
    expect(authenticator.stats().failed).toBe(2);
    expect(supplicant.stats().failed).toBe(2);
  });

  it('txPeriod resends Request/Identity, and past reAuthMax the session ends DISCONNECTED', () => {
    const { clock, pair, authenticator } = lab();
    const sent: Uint8Array[] = [];
    pair.a.tapTransmit((frame) => sent.push(frame.slice()));
    const mac = randomMac(1);
    pair.a.indicate(eapol(mac, EapolPacketType.Start));
    expect(sent).toHaveLength(1);
    expect(authenticator.supplicant('02:00:00:00:01:07')?.pae).toBe('CONNECTING');
    clock.advance(29_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toHaveLength(2);
    // A new Identifier each time CONNECTING is entered.
    expect(sent[1]![19]).toBe(((sent[0]![19] as number) + 1) & 0xff);
    expect([...sent[1]!.subarray(18, 23)].filter((_, i) => i !== 1)).toEqual([1, 0, 5, 1]);
    clock.advance(30_000);
    expect(sent).toHaveLength(2);
    expect(authenticator.supplicants()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reauthenticates after reAuthPeriod with the port left authorised throughout', () => {
    const { clock, pair, authenticator, supplicant } = lab({ timers: { reAuthPeriodMs: 10_000 } });
    supplicant.start();
    pair.flush();
    const authorizations = pair.a.controlledPort.stats().authorizations;
    clock.advance(10_000);
    expect(authenticator.supplicant('02:00:00:00:00:0b')?.pae).toBe('CONNECTING');
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(true);
    pair.flush();
    expect(authenticator.stats().succeeded).toBe(2);
    expect(supplicant.stats().succeeded).toBe(2);
    expect(pair.a.controlledPort.stats()).toMatchObject({ authorizations, unauthorizations: 0 });
  });

  it('a Session-Timeout from the backend sets the reauthentication period', () => {
    const clock = new VirtualClock();
    const pair = createLinkPair();
    const local = new LocalEapBackend({
      clock,
      methods: [md5],
      provider: new LocalAuthenticationProvider({
        users: new StaticUserStore([{ name: 'bob', password: 'hello' }]),
        crypto: nodeCrypto,
      }),
    });
    // A backend that adds Session-Timeout 5 s to the local one's success (as a RADIUS Accept may).
    const authenticator = new EapolAuthenticator({
      adapter: pair.a,
      clock,
      backend: {
        begin: (supplicant, identity, callbacks) =>
          local.begin(supplicant, identity, {
            send: (eap) => callbacks.send(eap),
            finished: (result) =>
              callbacks.finished({
                ...result,
                attributes: [...result.attributes, { type: 27, value: Uint8Array.of(0, 0, 0, 5) }],
              }),
          }),
      },
    });
    const supplicant = new EapolSupplicant({
      adapter: pair.b,
      clock,
      methods: [md5],
      identity: 'bob',
      password: 'hello',
    });
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('AUTHENTICATED');
    clock.advance(4_999);
    expect(authenticator.supplicant('02:00:00:00:00:0b')?.pae).toBe('AUTHENTICATED');
    clock.advance(1);
    pair.flush();
    expect(authenticator.stats().succeeded).toBe(2);
  });

  it('Logoff unauthorises the MAC and forgets it', () => {
    const { pair, authenticator, supplicant } = lab();
    supplicant.start();
    pair.flush();
    supplicant.logoff();
    pair.flush();
    expect(supplicant.state).toBe('LOGOFF');
    expect(authenticator.supplicants()).toEqual([]);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(false);
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('AUTHENTICATED');
  });

  it('a flood of EAPOL-Start from random MACs stays within the table and never evicts an authorised supplicant', () => {
    const { pair, authenticator, supplicant, clock } = lab({
      authenticator: { maxSupplicants: 16 },
    });
    supplicant.start();
    pair.flush();
    for (let i = 0; i < 5000; i++)
      pair.a.indicate(eapol(randomMac(i + 100), EapolPacketType.Start));
    const stats = authenticator.stats();
    expect(stats.supplicants).toBe(16);
    expect(stats.evicted).toBe(5000 - 15);
    expect(pair.a.controlledPort.isAuthorized(pair.b.mac)).toBe(true);
    expect(clock.pendingTimers).toBeLessThanOrEqual(16);
    clock.advance(120_000);
    expect(authenticator.supplicants().map((s) => s.mac)).toEqual(['02:00:00:00:00:0b']);
  });

  it('refuses a newcomer when every tracked supplicant is authorised', () => {
    const { pair, authenticator, supplicant } = lab({ authenticator: { maxSupplicants: 1 } });
    supplicant.start();
    pair.flush();
    pair.a.indicate(eapol(randomMac(9), EapolPacketType.Start));
    expect(authenticator.stats().dropped['table-full']).toBe(1);
    expect(authenticator.stats().supplicants).toBe(1);
  });

  it('force-authorized opens the port and answers a Start with a canned Success', () => {
    const { pair, supplicant, authenticator } = lab({
      authenticator: { portControl: 'force-authorized' },
    });
    expect(pair.a.controlledPort.mode).toBe('open');
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('AUTHENTICATED');
    expect(authenticator.supplicants()[0]?.pae).toBe('FORCE_AUTH');
  });

  it('force-unauthorized answers with a canned Failure and authorises nobody', () => {
    const { pair, supplicant } = lab({ authenticator: { portControl: 'force-unauthorized' } });
    supplicant.start();
    pair.flush();
    expect(supplicant.state).toBe('HELD');
    expect(pair.a.controlledPort.stats().authorized).toBe(0);
  });

  it('drops bad frames by reason and never throws', () => {
    const { pair, authenticator } = lab();
    const mac = randomMac(3);
    const raw = (bytes: number[]) => {
      const frame = new Uint8Array(14 + bytes.length);
      frame.set(PAE, 0);
      frame.set(mac, 6);
      frame.set([0x88, 0x8e], 12);
      frame.set(bytes, 14);
      return frame;
    };
    pair.a.indicate(raw([2, 1]));
    pair.a.indicate(raw([0, 1, 0, 0]));
    pair.a.indicate(raw([2, 0, 0, 2, 2, 1]));
    pair.a.indicate(raw([2, 9, 0, 0]));
    // A group source never reaches the binding: the adapter drops it (bad-source-mac).
    const group = raw([2, 1, 0, 0]);
    group[6] = 0x03;
    pair.a.indicate(group);
    expect(pair.a.stats().dropped['bad-source-mac']).toBe(1);
    pair.a.indicate(eapol(pair.a.mac, EapolPacketType.Start));
    pair.a.indicate(eapol(mac, EapolPacketType.Logoff));
    pair.a.indicate(eapol(mac, EapolPacketType.Key, Uint8Array.of(2, 0)));
    expect(authenticator.stats().dropped).toMatchObject({
      truncated: 1,
      'bad-version': 1,
      'eap-too-short': 1,
      'unsupported-type': 1,
      'bad-source': 0,
      'own-frame': 1,
      'logoff-unknown': 1,
    });
    expect(authenticator.stats().keys).toBe(1);
    expect(authenticator.supplicants()).toEqual([]);
  });

  it('an EAP packet from an unknown MAC opens a session (an authenticator that restarted)', () => {
    const { pair, authenticator } = lab();
    const mac = randomMac(4);
    pair.a.indicate(eapol(mac, EapolPacketType.EapPacket, Uint8Array.of(2, 7, 0, 6, 1, 0x61)));
    expect(authenticator.supplicant('02:00:00:00:04:07')?.pae).toBe('CONNECTING');
  });

  it('close withdraws every authorisation and cancels every timer', () => {
    const { pair, authenticator, supplicant, clock } = lab();
    supplicant.start();
    pair.flush();
    supplicant.close();
    authenticator.close();
    expect(pair.a.controlledPort.stats().authorized).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('EAPOL supplicant timers', () => {
  it('sends maxStart Starts, then reports no-authenticator and is HELD for heldPeriod', () => {
    const clock = new VirtualClock();
    const pair = createLinkPair();
    const sent: Uint8Array[] = [];
    pair.b.tapTransmit((frame) => sent.push(frame.slice()));
    const results: string[] = [];
    const supplicant = new EapolSupplicant({
      adapter: pair.b,
      clock,
      methods: [md5],
      identity: 'bob',
      onResult: (r) => results.push(r.outcome),
    });
    supplicant.start();
    clock.advance(60_000);
    expect(sent).toHaveLength(3);
    expect([...sent[0]!.subarray(0, 6)]).toEqual([...PAE]);
    expect([...sent[0]!.subarray(14, 18)]).toEqual([2, 1, 0, 0]);
    clock.advance(30_000);
    expect(supplicant.state).toBe('HELD');
    expect(results).toEqual(['no-authenticator']);
    clock.advance(60_000);
    expect(supplicant.state).toBe('CONNECTING');
    expect(sent).toHaveLength(4);
  });

  it('gives up AUTHENTICATING after authPeriod without a Request, and starts again', () => {
    const { clock, pair, supplicant, results } = lab();
    supplicant.start();
    // Deliver the Start and the Request/Identity, but lose the answer.
    pair.flush(1);
    pair.flush(1);
    expect(supplicant.state).toBe('AUTHENTICATING');
    clock.advance(30_000);
    expect(results.map((r) => r.outcome)).toContain('timeout');
  });
});
