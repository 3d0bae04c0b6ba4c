// The dashboard login's defences over real HTTP on loopback (issue 14,
// F1–F5): guesses limited per address (all of loopback is one, review
// S2), fair session eviction, what /metrics, the log
// and the trace say about it (never the token), the POST Origin rule, and
// the security headers and the clean redirect.
import { EventEmitter } from 'node:events';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePayload, type TraceEvent } from '../../trace/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { ConnectionGuard } from './http-security.js';
import { createHostLogger } from './logger.js';
import { servicesFromConfig } from './services.js';

const TOKEN = 'tok-0123456789-abcdefghij';
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function start(http: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createHostLogger({
    level: 'info',
    write: (line) => lines.push(line),
    secrets: [TOKEN],
  });
  const config = validateHostConfig({
    http: { port: 0, token: TOKEN, ...http },
    radius: { enabled: false },
    capture: { rpc: { enabled: false } },
    synthetic: { enabled: false },
    websocket: { echo: { enabled: false } },
  });
  const host = await startHost(config, {
    version: '0',
    logger: log.logger,
    services: servicesFromConfig(config),
  });
  hosts.push(host);
  const events: TraceEvent[] = [];
  host.trace.enable('netrx-host', (event) => events.push(event), { level: 5 });
  return { host, lines, events, origin: new URL(host.url).origin };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request from `from` (a loopback address), no redirect followed. */
function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    from?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function form(host: RunningHost, token: string, headers: Record<string, string>, from?: string) {
  return send(new URL('/login', host.url).href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
    ...(from === undefined ? {} : { from }),
  });
}

function cookieOf(answer: Answer): string {
  const set = answer.headers['set-cookie']?.[0];
  if (set === undefined) throw new Error(`no Set-Cookie (status ${answer.status})`);
  return set.split(';')[0] as string;
}

function fieldsOf(event: TraceEvent): Record<string, unknown> {
  const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.values;
}

describe('netrx up: dashboard login limits (F1)', () => {
  it('five wrong tokens from an address, then 429 with Retry-After for every credential it sends; others go on', async () => {
    const { host, origin } = await start();
    const own = { Origin: origin };
    for (let i = 0; i < 5; i++) {
      const wrong = await form(host, `wrong-token-${i}`, own);
      expect(wrong.status).toBe(303);
      expect(wrong.headers.location).toBe('./?login=failed');
    }
    const limited = await form(host, TOKEN, own);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['set-cookie']).toBeUndefined();
    // The bearer header and the one-time link wait too.
    const bearer = await send(new URL('/health', host.url).href, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(429);
    expect(bearer.headers['retry-after']).toBe('1');
    expect((await send(host.loginUrl as string)).status).toBe(429);
    // Another loopback address is the same client (review S2): it waits too.
    const other = await form(host, TOKEN, own, '127.0.0.2');
    expect(other.status).toBe(429);
    expect(other.headers['set-cookie']).toBeUndefined();
  });

  it('wrong bearer tokens are guesses too: the sixth waits', async () => {
    const { host } = await start();
    const health = new URL('/health', host.url).href;
    for (let i = 0; i < 5; i++)
      expect(
        (await send(health, { headers: { Authorization: `Bearer guess-${i}` }, from: '127.0.0.3' }))
          .status,
      ).toBe(401);
    expect(
      (await send(health, { headers: { Authorization: `Bearer ${TOKEN}` }, from: '127.0.0.3' }))
        .status,
    ).toBe(429);
  });
});

describe('netrx up: fair session eviction (F2)', () => {
  it('whoever holds the token logs in 100 times from one address: another address keeps its session', async () => {
    const { host, origin } = await start({ login: { maxSessions: 8, maxSessionsPerAddress: 4 } });
    const victim = cookieOf(await form(host, TOKEN, { Origin: origin }, '127.0.0.5'));
    for (let i = 0; i < 100; i++) await form(host, TOKEN, { Origin: origin }, '127.0.0.6');
    const health = await send(new URL('/health', host.url).href, { headers: { Cookie: victim } });
    expect(health.status).toBe(200);
    const http = (
      JSON.parse(health.body) as { services: { name: string; login: Record<string, number> }[] }
    ).services.find((s) => s.name === 'http');
    expect(http?.login).toMatchObject({ sessions: 5, evictedAddressCap: 96, evictedTableFull: 0 });
  });
});

describe('netrx up: logins and evictions are visible (F3)', () => {
  it('/metrics counts them, the log says so without the token, the trace has an event each', async () => {
    const { host, lines, events, origin } = await start({
      login: { maxSessions: 2, maxSessionsPerAddress: 1 },
    });
    // The logins first: once 127.0.0.1 waits, all of loopback does (S2).
    cookieOf(await form(host, TOKEN, { Origin: origin }, '127.0.0.7'));
    const second = cookieOf(await form(host, TOKEN, { Origin: origin }, '127.0.0.7'));
    for (let i = 0; i < 5; i++) await form(host, 'wrong-token-wrong', { Origin: origin });
    await form(host, TOKEN, { Origin: origin });
    // A session cookie is checked without the limiter.
    const metrics = await send(new URL('/metrics', host.url).href, {
      headers: { Cookie: second },
      from: '127.0.0.8',
    });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('netrx_dashboard_logins_total{result="ok"} 2\n');
    expect(metrics.body).toContain('netrx_dashboard_logins_total{result="bad-token"} 5\n');
    expect(metrics.body).toContain('netrx_dashboard_logins_total{result="rate-limited"} 1\n');
    expect(metrics.body).toContain(
      'netrx_dashboard_sessions_evicted_total{reason="address-cap"} 1\n',
    );
    expect(metrics.body).toContain('netrx_http_rate_limited_total{scope="address"} 1\n');
    expect(metrics.body).toContain('netrx_dashboard_sessions 1\n');

    const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.filter((l) => l['event'] === 'login-failed')).toHaveLength(5);
    expect(log.filter((l) => l['event'] === 'login-blocked')).toMatchObject([
      { address: '127.0.0.1', scope: 'address', retryAfterMs: 1000 },
    ]);
    expect(log.filter((l) => l['event'] === 'login')).toHaveLength(2);
    expect(log.filter((l) => l['event'] === 'session-evicted')).toMatchObject([
      { reason: 'address-cap', address: '127.0.0.7' },
    ]);
    // Neither the token nor any 6-character piece of it, scrubbed or not.
    const all = lines.join('\n');
    expect(all).not.toContain('[redacted]');
    for (let i = 0; i + 6 <= TOKEN.length; i++) expect(all).not.toContain(TOKEN.slice(i, i + 6));

    const named = events.map((e) => e.descriptor.name);
    expect(named.filter((n) => n === 'Login')).toHaveLength(8);
    expect(named.filter((n) => n === 'LoginBlocked')).toHaveLength(1);
    expect(named.filter((n) => n === 'SessionEvicted')).toHaveLength(1);
    const blocked = events.find((e) => e.descriptor.name === 'LoginBlocked');
    expect(blocked === undefined ? undefined : fieldsOf(blocked)).toEqual({
      scope: 'address',
      address: '127.0.0.1',
      retryAfterMs: 1000,
    });
  });
});

describe('netrx up: POST /login and /logout from this host only (F4)', () => {
  it('accepts its own Origin, or none with Sec-Fetch-Site same-origin; refuses null, others and neither', async () => {
    const { host, origin } = await start();
    const port = new URL(host.url).port;
    const cases: [Record<string, string>, number][] = [
      [{ Origin: origin }, 303],
      [{ 'Sec-Fetch-Site': 'same-origin' }, 303],
      [{ Origin: 'null' }, 403],
      [{ Origin: 'null', 'Sec-Fetch-Site': 'same-origin' }, 403],
      [{ Origin: 'http://evil.example' }, 403],
      [{ Origin: `https://127.0.0.1:${port}` }, 403],
      [{ Origin: `http://127.0.0.1:${Number(port) + 1}` }, 403],
      [{ Origin: `http://localhost:${port}` }, 403],
      [{ 'Sec-Fetch-Site': 'cross-site' }, 403],
      [{ 'Sec-Fetch-Site': 'same-site' }, 403],
      [{ 'Sec-Fetch-Site': 'none' }, 403],
      [{}, 403],
    ];
    for (const [headers, status] of cases) {
      const login = await form(host, TOKEN, headers);
      expect({ headers, status: login.status }).toEqual({ headers, status });
      if (status === 403) expect(login.headers['set-cookie']).toBeUndefined();
      const session = cookieOf(await form(host, TOKEN, { Origin: origin }));
      const logout = await send(new URL('/logout', host.url).href, {
        method: 'POST',
        headers: { ...headers, Cookie: session },
      });
      expect({ headers, logout: logout.status }).toEqual({ headers, logout: status });
      // A refused logout leaves the session be.
      const still = await send(new URL('/health', host.url).href, { headers: { Cookie: session } });
      expect({ headers, still: still.status }).toEqual({
        headers,
        still: status === 403 ? 200 : 401,
      });
    }
  });
});

describe('netrx up: security headers and the clean redirect (F5)', () => {
  it('every answer forbids referrers, sniffing and framing; the link answers 303 to a URL without the code', async () => {
    const { host } = await start();
    const link = await send(host.loginUrl as string);
    expect(link.status).toBe(303);
    expect(link.headers.location).toBe('./');
    expect(new URL(link.headers.location ?? '', host.loginUrl).href).toBe(host.url);
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    const answers: Record<string, Answer> = {
      link,
      failed: await send(new URL('/login?code=wrong', host.url).href),
      unauthorized: await send(new URL('/health', host.url).href),
      health: await send(new URL('/health', host.url).href, { headers: bearer }),
      metrics: await send(new URL('/metrics', host.url).href, { headers: bearer }),
      dashboard: await send(new URL('/api/dashboard', host.url).href, { headers: bearer }),
      pcapng: await send(new URL('/api/capture.pcapng', host.url).href, { headers: bearer }),
      page: await send(host.url, { headers: { Accept: 'text/html' } }),
    };
    for (const [name, answer] of Object.entries(answers)) {
      const h = answer.headers;
      // The page: same-origin, or its own form posts would carry Origin: null.
      expect({ name, referrer: h['referrer-policy'] }).toEqual({
        name,
        referrer: name === 'page' ? 'same-origin' : 'no-referrer',
      });
      expect({ name, sniff: h['x-content-type-options'] }).toEqual({ name, sniff: 'nosniff' });
      expect({ name, frame: h['x-frame-options'] }).toEqual({ name, frame: 'DENY' });
      expect({
        name,
        csp: /frame-ancestors 'none'/.test(String(h['content-security-policy'])),
      }).toEqual({ name, csp: true });
      if (name !== 'page')
        expect({ name, cache: h['cache-control'] }).toEqual({ name, cache: 'no-store' });
    }
    // The page's own policy is the one it works with (its scripts and the capture WebSocket).
    expect(answers['page']?.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(answers['page']?.headers['content-security-policy']).toMatch(/connect-src 'self'/);
  });

  it('a HEAD of the link (a link preview) does not spend the code', async () => {
    const { host } = await start();
    const head = await send(host.loginUrl as string, { method: 'HEAD' });
    expect(head.status).toBe(303);
    expect(head.headers['set-cookie']).toBeUndefined();
    const get = await send(host.loginUrl as string);
    expect(get.headers.location).toBe('./');
    expect(get.headers['set-cookie']?.[0]).toMatch(/^netrx-session=/);
  });
});

describe('ConnectionGuard: which addresses count as one (http.limits.maxConnectionsPerAddress)', () => {
  /** A stand-in socket: the guard reads `remoteAddress`, listens for `close`, may destroy it. */
  function socket(remoteAddress: string) {
    const emitter = new EventEmitter() as EventEmitter & {
      remoteAddress: string;
      destroyed: boolean;
      destroy(): void;
    };
    emitter.remoteAddress = remoteAddress;
    emitter.destroyed = false;
    emitter.destroy = () => {
      emitter.destroyed = true;
    };
    return emitter;
  }
  /** Admits a connection that then sends its request (so it is never cut for room: review M6). */
  const admit = (guard: ConnectionGuard, address: string) => {
    const stand = socket(address) as unknown as Socket;
    const admitted = guard.admit(stand);
    if (admitted) guard.passed(stand);
    return admitted;
  };

  it('every loopback address is one, as for the login limiter; others count apart (IPv6 by /64)', () => {
    const guard = new ConnectionGuard({
      maxConnections: 100,
      maxConnectionsPerAddress: 2,
      maxWebSockets: 1,
    });
    expect(admit(guard, '127.0.0.1')).toBe(true);
    expect(admit(guard, '127.8.9.10')).toBe(true);
    for (const local of ['127.0.0.2', '::1', '::ffff:127.0.0.3'])
      expect(admit(guard, local), local).toBe(false);
    expect(admit(guard, '192.0.2.1')).toBe(true);
    expect(admit(guard, '192.0.2.1')).toBe(true);
    expect(admit(guard, '192.0.2.1')).toBe(false);
    expect(admit(guard, '192.0.2.2')).toBe(true);
    expect(admit(guard, '2001:db8:0:1::1')).toBe(true);
    expect(admit(guard, '2001:db8:0:1::2')).toBe(true);
    expect(admit(guard, '2001:db8:0:1::3')).toBe(false);
    expect(admit(guard, '2001:db8:0:2::1')).toBe(true);
    expect(guard.stats()).toMatchObject({ open: 8, refusedPerAddress: 5 });
  });
});
