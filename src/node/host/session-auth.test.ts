// The dashboard login's decisions (session-auth.ts), on a virtual clock:
// which presentations authorise a request or an upgrade, the one-time
// code, the cookie's attributes, expiry, logout, the session bound and the
// Origin rule for cookie-authorised upgrades.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerSubprotocol } from '../../capture/ws/index.js';
import { VirtualClock } from '../../testing/index.js';
import {
  LOGIN_CODE_MS,
  MAX_SESSIONS,
  MAX_SESSIONS_PER_ADDRESS,
  SessionAuth,
  type AuthEvent,
  cookieValue,
  sameOrigin,
  secretEquals,
} from './session-auth.js';

const TOKEN = 'a-token-of-at-least-16-characters';
const HOST = '127.0.0.1:7340';
const ORIGIN = `http://${HOST}`;

function auth(options: { tls?: boolean; sessionMs?: number; token?: string } = {}) {
  const clock = new VirtualClock(1_000_000);
  const gate = new SessionAuth({
    token: options.token ?? TOKEN,
    clock,
    tls: options.tls ?? false,
    sessionMs: options.sessionMs ?? 60_000,
  });
  return { clock, gate };
}

/** The cookie header a browser would send back for a Set-Cookie value. */
function sent(setCookie: string | undefined): string {
  if (setCookie === undefined) throw new Error('no cookie');
  return setCookie.split(';')[0] as string;
}

describe('SessionAuth', () => {
  it('without a token everything is open and there is no login', () => {
    const { gate } = auth({ token: '' });
    expect(gate.required).toBe(false);
    expect(gate.authorize({})).toEqual({ ok: true, via: 'open' });
    expect(gate.issueLoginCode()).toBeUndefined();
    expect(gate.login(TOKEN, 'token')).toBeUndefined();
  });

  it('a request needs the bearer token or a session cookie; a subprotocol counts on upgrades only', () => {
    const { gate } = auth();
    expect(gate.authorize({})).toMatchObject({ ok: false, status: 401 });
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}` })).toEqual({
      ok: true,
      via: 'bearer',
    });
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}x` }).ok).toBe(false);
    expect(gate.authorize({ authorization: `Basic ${TOKEN}` }).ok).toBe(false);
    const protocols = `netrx.lrec.v1, ${bearerSubprotocol(TOKEN)}`;
    expect(gate.authorize({ protocols }).ok).toBe(false);
    expect(gate.authorize({ protocols, upgrade: true })).toEqual({ ok: true, via: 'subprotocol' });
    expect(
      gate.authorize({ protocols: `netrx.lrec.v1, ${bearerSubprotocol('wrong')}`, upgrade: true })
        .ok,
    ).toBe(false);
    // A forged cookie is nothing.
    expect(gate.authorize({ cookie: `${gate.cookieName}=made-up` }).ok).toBe(false);
  });

  it('the token logs in: an HttpOnly SameSite=Strict cookie that authorises requests', () => {
    const { gate } = auth();
    expect(gate.login('not the token', 'token')).toBeUndefined();
    const setCookie = gate.login(TOKEN, 'token');
    expect(setCookie).toMatch(
      /^netrx-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=60; HttpOnly; SameSite=Strict$/,
    );
    expect(gate.authorize({ cookie: `other=1; ${sent(setCookie)}` })).toEqual({
      ok: true,
      via: 'cookie',
    });
    expect(gate.stats()).toMatchObject({ sessions: 1, logins: 1, failedLogins: 1 });
  });

  it('under TLS the cookie is Secure and __Host- prefixed', () => {
    const { gate } = auth({ tls: true });
    const setCookie = gate.login(TOKEN, 'token');
    expect(setCookie).toMatch(/^__Host-netrx-session=.*; HttpOnly; SameSite=Strict; Secure$/);
    // The plain name is not the session cookie under TLS.
    const value = sent(setCookie).split('=')[1] as string;
    expect(gate.authorize({ cookie: `netrx-session=${value}` }).ok).toBe(false);
    expect(gate.authorize({ cookie: sent(setCookie) }).ok).toBe(true);
  });

  it('the login code works once, only before it expires, and a new one replaces it', () => {
    const { clock, gate } = auth();
    const code = gate.issueLoginCode() as string;
    expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(gate.login(`${code}x`, 'code')).toBeUndefined();
    // The code is not the token, nor the token a code.
    expect(gate.login(code, 'token')).toBeUndefined();
    expect(gate.login(TOKEN, 'code')).toBeUndefined();
    expect(gate.login(code, 'code')).toBeDefined();
    expect(gate.login(code, 'code')).toBeUndefined();

    const late = gate.issueLoginCode() as string;
    clock.advance(LOGIN_CODE_MS);
    expect(gate.login(late, 'code')).toBeUndefined();

    const first = gate.issueLoginCode() as string;
    const second = gate.issueLoginCode() as string;
    expect(gate.login(first, 'code')).toBeUndefined();
    expect(gate.login(second, 'code')).toBeDefined();
  });

  it('a session expires after sessionMs, whatever its use', () => {
    const { clock, gate } = auth({ sessionMs: 60_000 });
    const cookie = sent(gate.login(TOKEN, 'token'));
    clock.advance(59_999);
    expect(gate.authorize({ cookie }).ok).toBe(true);
    clock.advance(1);
    expect(gate.authorize({ cookie })).toMatchObject({ ok: false, status: 401 });
    expect(gate.stats()).toMatchObject({ sessions: 0, expired: 1 });
  });

  it('logout ends the session and clears the cookie', () => {
    const { gate } = auth();
    const cookie = sent(gate.login(TOKEN, 'token'));
    expect(gate.logout(cookie)).toMatch(/^netrx-session=; Path=\/; Max-Age=0; HttpOnly/);
    expect(gate.authorize({ cookie }).ok).toBe(false);
    expect(gate.stats()).toMatchObject({ sessions: 0, logouts: 1 });
    // Logging out without a session is harmless.
    expect(gate.logout(undefined)).toContain('Max-Age=0');
  });

  it(`holds at most ${MAX_SESSIONS} sessions from many addresses: the biggest holder's oldest goes`, () => {
    const { gate } = auth();
    const first = sent(gate.login(TOKEN, 'token', '10.0.0.0'));
    const second = sent(gate.login(TOKEN, 'token', '10.0.0.1'));
    for (let i = 2; i < MAX_SESSIONS; i++) gate.login(TOKEN, 'token', `10.0.0.${i}`);
    expect(gate.authorize({ cookie: first }).ok).toBe(true);
    gate.login(TOKEN, 'token', '10.0.1.0');
    expect(gate.authorize({ cookie: first }).ok).toBe(false);
    expect(gate.authorize({ cookie: second }).ok).toBe(true);
    expect(gate.stats()).toMatchObject({ sessions: MAX_SESSIONS, evicted: 1, evictedTableFull: 1 });
  });

  it('an upgrade the cookie alone authorises must come from this host’s own origin', () => {
    const { gate } = auth();
    const cookie = sent(gate.login(TOKEN, 'token'));
    const upgrade = { cookie, host: HOST, upgrade: true } as const;
    expect(gate.authorize({ ...upgrade, origin: ORIGIN })).toEqual({ ok: true, via: 'cookie' });
    expect(gate.authorize({ ...upgrade, origin: 'http://evil.example' })).toMatchObject({
      ok: false,
      status: 403,
    });
    // No Origin: not a browser page of this host either.
    expect(gate.authorize(upgrade)).toMatchObject({ ok: false, status: 403 });
    // Another scheme or port is another origin.
    expect(gate.authorize({ ...upgrade, origin: 'https://127.0.0.1:7340' }).ok).toBe(false);
    expect(gate.authorize({ ...upgrade, origin: 'http://127.0.0.1:7341' }).ok).toBe(false);
    // The token itself needs no Origin: it is not ambient.
    expect(
      gate.authorize({
        authorization: `Bearer ${TOKEN}`,
        origin: 'http://evil.example',
        upgrade: true,
      }).ok,
    ).toBe(true);
    expect(gate.stats().foreignOrigins).toBe(4);
  });
});

describe('SessionAuth: guessing is slowed per address (issue 14 F1)', () => {
  const limits = {
    attempts: 5,
    backoffMs: 1000,
    maxBackoffMs: 60_000,
    globalPerMinute: 1000,
    maxAddresses: 64,
  };

  function limited() {
    const clock = new VirtualClock(1_000_000);
    const events: AuthEvent[] = [];
    const gate = new SessionAuth({
      token: TOKEN,
      clock,
      tls: false,
      sessionMs: 3_600_000,
      limits,
      onEvent: (event) => events.push(event),
    });
    return { clock, gate, events };
  }

  it('S1: wrong tokens from many addresses empty the global cap; a right bearer from a clean address still gets in', () => {
    const clock = new VirtualClock(1_000_000);
    const gate = new SessionAuth({
      token: TOKEN,
      clock,
      tls: false,
      sessionMs: 3_600_000,
      limits: { ...limits, globalPerMinute: 120, maxAddresses: 4096 },
    });
    const codes = new Map<number, number>();
    for (let i = 0; i < 125; i++) {
      const decision = gate.authorize({ authorization: 'Bearer wrong', remote: `10.0.1.${i}` });
      const status = decision.ok ? 200 : decision.status;
      codes.set(status, (codes.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(codes)).toEqual({ 401: 125 });
    // Those that failed wait now; the scraper, which never failed, does not.
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}`, remote: '10.0.1.3' })).toMatchObject({
      ok: false,
      status: 429,
    });
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}`, remote: '10.0.1.250' }).ok).toBe(
      true,
    );
  });

  it('S2: every loopback address is one client: five wrong tokens from 127.0.0.1 hold 127.0.0.2, ::1 and ::ffff:127.9.9.9 too', () => {
    const { gate, clock } = limited();
    for (let i = 0; i < 5; i++)
      expect(gate.attempt(`wrong-${i}`, 'token', `127.0.0.${i + 1}`)).toEqual({
        ok: false,
        status: 401,
      });
    for (const remote of ['127.0.0.1', '127.0.0.2', '127.255.0.9', '::1', '::ffff:127.9.9.9'])
      expect({
        remote,
        decision: gate.authorize({ authorization: `Bearer ${TOKEN}`, remote }),
      }).toMatchObject({ remote, decision: { ok: false, status: 429 } });
    // Not loopback: another client.
    expect(gate.attempt(TOKEN, 'token', '128.0.0.1').ok).toBe(true);
    clock.advance(1000);
    expect(gate.attempt(TOKEN, 'token', '127.0.0.200').ok).toBe(true);
  });

  it('five wrong tokens, then 429 for any credential from that address, the right one included', () => {
    const { clock, gate, events } = limited();
    for (let i = 0; i < 5; i++)
      expect(gate.attempt(`wrong-${i}`, 'token', '192.0.2.7')).toEqual({ ok: false, status: 401 });
    expect(gate.attempt(TOKEN, 'token', '192.0.2.7')).toEqual({
      ok: false,
      status: 429,
      retryAfterSeconds: 1,
    });
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}`, remote: '192.0.2.7' })).toMatchObject(
      { ok: false, status: 429, retryAfterSeconds: 1 },
    );
    // Another address is not held up.
    expect(gate.attempt(TOKEN, 'token', '192.0.2.8').ok).toBe(true);
    clock.advance(1000);
    expect(gate.attempt(TOKEN, 'token', '192.0.2.7').ok).toBe(true);
    expect(gate.stats()).toMatchObject({
      failedLogins: 5,
      rateLimitedLogins: 1,
      rateLimitedAddress: 2,
      logins: 2,
    });
    expect(events.filter((e) => e.kind === 'blocked')).toEqual([
      { kind: 'blocked', scope: 'address', address: '192.0.2.7', retryAfterMs: 1000 },
    ]);
    expect(
      events.filter((e) => e.kind === 'login').map((e) => e.kind === 'login' && e.result),
    ).toEqual([
      'bad-token',
      'bad-token',
      'bad-token',
      'bad-token',
      'bad-token',
      'rate-limited',
      'ok',
      'ok',
    ]);
    // No event carries a token.
    expect(JSON.stringify(events)).not.toContain(TOKEN.slice(0, 6));
  });

  it('wrong bearer tokens and subprotocols count; no credential at all and a stale cookie do not', () => {
    const { gate } = limited();
    const remote = '198.51.100.1';
    for (let i = 0; i < 20; i++) {
      expect(gate.authorize({ remote }).ok).toBe(false);
      expect(gate.authorize({ cookie: `${gate.cookieName}=stale`, remote })).toMatchObject({
        status: 401,
      });
    }
    for (let i = 0; i < 3; i++)
      expect(gate.authorize({ authorization: 'Bearer nope', remote })).toMatchObject({
        status: 401,
      });
    for (let i = 0; i < 2; i++)
      expect(
        gate.authorize({ protocols: bearerSubprotocol('nope'), upgrade: true, remote }),
      ).toMatchObject({ status: 401 });
    expect(gate.authorize({ authorization: `Bearer ${TOKEN}`, remote })).toMatchObject({
      status: 429,
    });
    expect(gate.stats()).toMatchObject({ badBearers: 5, failedLogins: 0 });
  });

  it('the one-time code is limited too: a right code during the wait is not spent', () => {
    const { clock, gate } = limited();
    const code = gate.issueLoginCode() as string;
    for (let i = 0; i < 5; i++) gate.attempt(`guess-${i}`, 'code', '203.0.113.9');
    expect(gate.attempt(code, 'code', '203.0.113.9')).toMatchObject({ status: 429 });
    clock.advance(1000);
    expect(gate.attempt(code, 'code', '203.0.113.9').ok).toBe(true);
  });

  it('an IPv6 /64 is one address: guesses from its other addresses wait too', () => {
    const { gate } = limited();
    for (let i = 0; i < 5; i++) gate.attempt('wrong', 'token', `2001:db8:0:1::${i + 1}`);
    expect(gate.attempt(TOKEN, 'token', '2001:db8:0:1::ffff')).toMatchObject({ status: 429 });
    expect(gate.attempt(TOKEN, 'token', '2001:db8:0:2::1').ok).toBe(true);
  });
});

describe('SessionAuth: fair eviction (issue 14 F2)', () => {
  function fair(maxSessions = 8, maxSessionsPerAddress = 3) {
    const clock = new VirtualClock(1_000_000);
    const events: AuthEvent[] = [];
    const gate = new SessionAuth({
      token: TOKEN,
      clock,
      tls: false,
      sessionMs: 3_600_000,
      maxSessions,
      maxSessionsPerAddress,
      onEvent: (event) => events.push(event),
    });
    return { clock, gate, events };
  }

  it(`one address holding the token and logging in ${MAX_SESSIONS * 2} times never ends another's session`, () => {
    const clock = new VirtualClock(0);
    const gate = new SessionAuth({ token: TOKEN, clock, tls: false, sessionMs: 3_600_000 });
    const victim = sent(gate.login(TOKEN, 'token', '192.0.2.1'));
    for (let i = 0; i < MAX_SESSIONS * 2; i++) gate.login(TOKEN, 'token', '192.0.2.66');
    expect(gate.authorize({ cookie: victim })).toEqual({ ok: true, via: 'cookie' });
    expect(gate.stats()).toMatchObject({
      sessions: 1 + MAX_SESSIONS_PER_ADDRESS,
      evictedAddressCap: MAX_SESSIONS * 2 - MAX_SESSIONS_PER_ADDRESS,
      evictedTableFull: 0,
    });
  });

  it("an address at its cap ends its own oldest; a full table ends the biggest holder's oldest", () => {
    const { gate, events } = fair();
    const a = [1, 2, 3].map(() => sent(gate.login(TOKEN, 'token', '10.0.0.1')));
    const a4 = sent(gate.login(TOKEN, 'token', '10.0.0.1'));
    expect(gate.authorize({ cookie: a[0] }).ok).toBe(false);
    expect([a[1], a[2], a4].every((c) => gate.authorize({ cookie: c }).ok)).toBe(true);
    const b = [1, 2].map(() => sent(gate.login(TOKEN, 'token', '10.0.0.2')));
    const c = [1, 2, 3].map((i) => sent(gate.login(TOKEN, 'token', `10.0.0.${10 + i}`)));
    // 8 sessions: a holds 3, b 2, three others 1 each. A newcomer ends a's oldest.
    const newcomer = sent(gate.login(TOKEN, 'token', '10.0.0.99'));
    expect(gate.authorize({ cookie: a[1] }).ok).toBe(false);
    for (const cookie of [a[2], a4, ...b, ...c, newcomer])
      expect(gate.authorize({ cookie }).ok).toBe(true);
    expect(events.filter((e) => e.kind === 'evicted')).toEqual([
      { kind: 'evicted', reason: 'address-cap', address: '10.0.0.1' },
      { kind: 'evicted', reason: 'table-full', address: '10.0.0.1' },
    ]);
  });

  it('property: failed or rate-limited attempts never end a session; sessions stay within both caps', () => {
    const action = fc.record({
      address: fc.integer({ min: 0, max: 12 }),
      right: fc.boolean(),
      kind: fc.constantFrom('token' as const, 'code' as const),
      dt: fc.nat(5000),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(action, { maxLength: 120 }),
        (maxSessions, perAddress, actions) => {
          const cap = Math.min(perAddress, maxSessions);
          const { clock, gate } = fair(maxSessions, perAddress);
          const held: { cookie: string; address: string }[] = [];
          for (const { address, right, kind, dt } of actions) {
            clock.advance(dt);
            const remote = `10.2.0.${address}`;
            const secret = right
              ? kind === 'token'
                ? TOKEN
                : (gate.issueLoginCode() as string)
              : 'x';
            const before = held.filter((h) => gate.authorize({ cookie: h.cookie }).ok);
            const result = gate.attempt(secret, kind, remote);
            const after = held.filter((h) => gate.authorize({ cookie: h.cookie }).ok);
            if (!result.ok) expect(after).toEqual(before);
            else {
              // A login ends at most one session (to make room for itself).
              expect(before.length - after.length).toBeLessThanOrEqual(1);
              held.push({ cookie: sent(result.cookie), address: remote });
            }
            const live = held.filter((h) => gate.authorize({ cookie: h.cookie }).ok);
            expect(live.length).toBeLessThanOrEqual(maxSessions);
            const counts = new Map<string, number>();
            for (const h of live) counts.set(h.address, (counts.get(h.address) ?? 0) + 1);
            for (const n of counts.values()) expect(n).toBeLessThanOrEqual(cap);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('helpers', () => {
  it('cookieValue finds one cookie among several', () => {
    expect(cookieValue('a=1; netrx-session=xyz; b=2', 'netrx-session')).toBe('xyz');
    expect(cookieValue('a=1', 'netrx-session')).toBeUndefined();
    expect(cookieValue(undefined, 'netrx-session')).toBeUndefined();
    expect(cookieValue('xnetrx-session=1', 'netrx-session')).toBeUndefined();
  });

  it('sameOrigin compares scheme, host and port', () => {
    expect(sameOrigin('http://127.0.0.1:7340', '127.0.0.1:7340', false)).toBe(true);
    expect(sameOrigin('http://LOCALHOST:7340', 'localhost:7340', false)).toBe(true);
    expect(sameOrigin('https://[::1]', '[::1]:443', true)).toBe(true);
    expect(sameOrigin('null', '127.0.0.1:7340', false)).toBe(false);
    expect(sameOrigin(undefined, '127.0.0.1:7340', false)).toBe(false);
  });

  it('secretEquals is equality, for any lengths', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(secretEquals(a, b)).toBe(a === b);
        expect(secretEquals(a, a)).toBe(true);
      }),
    );
  });
});
