// The dashboard's way in, over real HTTP and WebSocket on loopback: the
// login (one-time link, the token in the form, the cookie on every route,
// the pcapng download and the capture upgrades, logout) and the viewers
// (each page its own copy of `default`, beside a client of the shared
// session, a limit with a readable refusal).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bearerSubprotocol, LREC_WS_SUBPROTOCOL } from '../../capture/ws/index.js';
import { parseEventBuffer } from '../../wire/lrec/index.js';
import { connectLrecWs } from '../capture/index.js';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const TOKEN = 'a-token-of-at-least-16-characters';
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function start(extra: Record<string, unknown> = {}, http: Record<string, unknown> = {}) {
  const config = validateHostConfig({
    http: { port: 0, ...http },
    radius: { port: 0 },
    capture: { rpc: { enabled: false }, ...extra },
    synthetic: { intervalMs: 100 },
  });
  const host = await startHost(config, { version: '0', services: servicesFromConfig(config) });
  hosts.push(host);
  return host;
}

const manual = { redirect: 'manual' } as const;

function cookieOf(response: Response): string {
  const set = response.headers.get('set-cookie');
  if (set === null) throw new Error(`no Set-Cookie (status ${response.status})`);
  return set.split(';')[0] as string;
}

/** Opens a raw capture WebSocket; resolves with the open socket or the refusal status. */
function upgrade(
  url: string,
  headers: Record<string, string>,
  protocols = [LREC_WS_SUBPROTOCOL],
): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('unexpected-response', (_req, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
      ws.terminate();
    });
    ws.once('open', () => resolve({ ws }));
    ws.once('error', () => undefined);
  });
}

describe('netrx up: the dashboard login (http.token)', () => {
  it('a one-time link or the token in the form gives a cookie every route and upgrade takes', async () => {
    const host = await start({}, { token: TOKEN, sessionMinutes: 5 });
    const at = (path: string) => new URL(path, host.url).href;
    expect(host.loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[A-Za-z0-9_-]{32}$/);

    // The page itself is served to anyone (it shows the login form); what it reads is not.
    const page = await fetch(at('/'), { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="login"');
    for (const path of [
      '/api/dashboard',
      '/api/dashboard/snapshot',
      '/health',
      '/metrics',
      '/api/capture.pcapng',
    ])
      expect((await fetch(at(path))).status).toBe(401);

    // A wrong code is refused and counted; the right one works once.
    const wrong = await fetch(at('/login?code=not-the-code'), manual);
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('./?login=failed');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const link = await fetch(host.loginUrl as string, manual);
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('./');
    expect(link.headers.get('set-cookie')).toMatch(
      /^netrx-session=[\w-]+; Path=\/; Max-Age=300; HttpOnly; SameSite=Strict$/,
    );
    const cookie = cookieOf(link);
    expect((await fetch(host.loginUrl as string, manual)).headers.get('location')).toBe(
      './?login=failed',
    );

    for (const path of [
      '/api/dashboard',
      '/api/dashboard/snapshot',
      '/health',
      '/metrics',
      '/api/capture.pcapng',
    ])
      expect((await fetch(at(path), { headers: { Cookie: cookie } })).status).toBe(200);
    const info = (await (
      await fetch(at('/api/dashboard'), { headers: { Cookie: cookie } })
    ).json()) as {
      login: boolean;
    };
    expect(info.login).toBe(true);

    // The form: the token, posted from the page's own origin.
    const origin = new URL(host.url).origin;
    const form = (token: string, from = origin) =>
      fetch(at('/login'), {
        ...manual,
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: from },
        body: new URLSearchParams({ token }).toString(),
      });
    expect((await form('wrong-token-wrong-token')).headers.get('location')).toBe('./?login=failed');
    expect((await form(TOKEN, 'http://evil.example')).status).toBe(403);
    const posted = await form(TOKEN);
    expect(posted.status).toBe(303);
    const second = cookieOf(posted);
    expect((await fetch(at('/health'), { headers: { Cookie: second } })).status).toBe(200);

    // Upgrades: the cookie from this host's page; not from another site's, nor without Origin.
    const ws = host.url.replace(/^http/, 'ws');
    for (const path of ['capture', 'capture/viewer']) {
      const ok = await upgrade(`${ws}${path}`, { Cookie: cookie, Origin: origin });
      expect(ok.ws?.protocol).toBe(LREC_WS_SUBPROTOCOL);
      ok.ws?.close();
      expect(
        (await upgrade(`${ws}${path}`, { Cookie: cookie, Origin: 'http://evil.example' })).status,
      ).toBe(403);
      expect((await upgrade(`${ws}${path}`, { Cookie: cookie })).status).toBe(403);
      expect((await upgrade(`${ws}${path}`, {})).status).toBe(401);
      // The token as a subprotocol, as a browser script would offer it.
      const sub = await upgrade(`${ws}${path}`, {}, [
        LREC_WS_SUBPROTOCOL,
        bearerSubprotocol(TOKEN),
      ]);
      expect(sub.ws?.protocol).toBe(LREC_WS_SUBPROTOCOL);
      sub.ws?.close();
      // A token-authorised page of another site is still refused on the capture paths.
      expect(
        (
          await upgrade(`${ws}${path}`, {
            Authorization: `Bearer ${TOKEN}`,
            Origin: 'http://evil.example',
          })
        ).status,
      ).toBe(403);
    }

    // Logout ends that session only.
    const out = await fetch(at('/logout'), {
      ...manual,
      method: 'POST',
      headers: { Cookie: cookie, Origin: origin },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^netrx-session=; Path=\/; Max-Age=0/);
    expect((await fetch(at('/health'), { headers: { Cookie: cookie } })).status).toBe(401);
    const health = (await (await fetch(at('/health'), { headers: { Cookie: second } })).json()) as {
      services: { name: string; login?: Record<string, number> }[];
    };
    expect(health.services.find((s) => s.name === 'http')?.login).toMatchObject({
      sessions: 1,
      logins: 2,
      logouts: 1,
      failedLogins: 3,
    });
  });

  it('without a token there is no login route and no login link', async () => {
    const host = await start();
    expect(host.loginUrl).toBeUndefined();
    expect((await fetch(new URL('/login', host.url))).status).toBe(404);
  });
});

describe('netrx up: dashboard viewers', () => {
  it('two viewers read default at once beside a client of the shared session; one more is refused with 1013', async () => {
    const host = await start({ maxViewers: 2 });
    const ws = host.url.replace(/^http/, 'ws');
    const viewers = await Promise.all(
      [1, 2].map(() => connectLrecWs({ url: `${ws}capture/viewer` })),
    );
    const shared = await connectLrecWs({ url: `${ws}capture` });
    const handles = await Promise.all(viewers.map((v) => v.open('default')));
    const sharedHandle = await shared.open('default');
    // MS-LREC on the shared table: one client per session.
    const other = await connectLrecWs({ url: `${ws}capture` });
    await expect(other.open('default')).rejects.toThrow(/ERROR_BUSY|already open/);
    other.end();

    const events = async (client: (typeof viewers)[number], handle: string) => {
      const parsed = parseEventBuffer(await client.receive(handle));
      if (!parsed.ok) throw new Error(parsed.failure.message);
      return parsed.value.filter((item) => item.kind === 'event').length;
    };
    const counts = await Promise.all([
      events(viewers[0]!, handles[0]!),
      events(viewers[1]!, handles[1]!),
      events(shared, sharedHandle),
    ]);
    for (const n of counts) expect(n).toBeGreaterThan(0);

    // The third viewer: accepted, then closed with a reason a person can read.
    const third = new WebSocket(`${ws}capture/viewer`, [LREC_WS_SUBPROTOCOL]);
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      third.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    expect(closed).toEqual({
      code: 1013,
      reason: '2 dashboard viewer(s) already: close one (capture.maxViewers)',
    });
    const health = async () =>
      (
        (await (await fetch(new URL('/health', host.url))).json()) as {
          services: { name: string; viewers?: Record<string, number> }[];
        }
      ).services.find((s) => s.name === 'capture')?.viewers;
    expect(await health()).toMatchObject({ open: 2, max: 2, opened: 2, refused: 1 });

    // A viewer that leaves frees its place (its table is dropped).
    viewers[0]!.end();
    await viewers[0]!.closed;
    await expect.poll(async () => (await health())?.open).toBe(1);
    const again = await connectLrecWs({ url: `${ws}capture/viewer` });
    const handle = await again.open('default');
    expect(await events(again, handle)).toBeGreaterThan(0);
    expect(host.metrics()).toMatch(/^netrx_capture_viewers 2$/m);
    expect(host.metrics()).toMatch(/^netrx_capture_viewers_refused_total 1$/m);
    for (const client of [again, viewers[1]!, shared]) client.end();
  });

  it('capture.maxViewers 0 turns the viewers off, saying so', async () => {
    const host = await start({ maxViewers: 0 });
    const ws = new WebSocket(`${host.url.replace(/^http/, 'ws')}capture/viewer`, [
      LREC_WS_SUBPROTOCOL,
    ]);
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    expect(closed).toEqual({
      code: 1013,
      reason: 'dashboard viewers are off (capture.maxViewers: 0)',
    });
  });
});
