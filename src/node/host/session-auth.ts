/**
 * Who may use the host's HTTP endpoint when `http.token` is set: a client
 * that presents the token (`Authorization: Bearer TOKEN`, or on a WebSocket
 * upgrade the subprotocol `netrx.bearer.` + base64url(TOKEN), as `netrx
 * capture serve` takes it), or a browser holding a login session cookie.
 *
 * A browser logs in once: with the one-time login link `netrx up` prints
 * (`/login?code=…`, valid for one use within `LOGIN_CODE_MS`) or by posting
 * the token from the page's login form (`POST /login`, `token=…`). Either
 * gives an HttpOnly, SameSite=Strict cookie (Secure, and named with the
 * `__Host-` prefix, under TLS) that names a server-side session; it expires
 * after `http.sessionMinutes` whatever happens, and `POST /logout` ends it
 * at once. A WebSocket upgrade that only the cookie authorises must come
 * from this host's own origin (cross-site WebSocket hijacking). Every
 * comparison is of SHA-256 digests in constant time; sessions are kept as
 * digests of their ids, so a lookup reveals nothing about a valid id.
 *
 * The configured token and the login code are never logged: the code is
 * printed once on standard output for the operator, as the URL to open.
 *
 * Guessing is slowed per remote address (login-limiter.ts): wrong tokens,
 * codes and bearer tokens count; past the free attempts every credential
 * from that address is refused unchecked (429) until its wait is over.
 * Sessions are bounded fairly: at most `maxSessionsPerAddress` per remote
 * address (a new login from it ends that address's oldest), at most
 * `maxSessions` in all (a new login then ends the oldest session of the
 * address holding most), so whoever holds the token cannot log everyone
 * else out from one address, and a failed attempt never ends a session.
 * Expired sessions are swept on every check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../runtime/index.js';
import { tokenFromSubprotocol } from '../../capture/index.js';
import {
  DEFAULT_LOGIN_LIMITS,
  LoginLimiter,
  addressKey,
  limiterKey,
  type LoginLimits,
} from './login-limiter.js';

/** How long the printed login link is good for (one use). */
export const LOGIN_CODE_MS = 15 * 60_000;
/** Login sessions held at once (default of `http.login.maxSessions`). */
export const MAX_SESSIONS = 64;
/** Login sessions one remote address holds at once (default of `http.login.maxSessionsPerAddress`). */
export const MAX_SESSIONS_PER_ADDRESS = 16;
const COOKIE = 'netrx-session';
const SECURE_COOKIE = '__Host-netrx-session';

export interface AuthRequest {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  /** `Sec-WebSocket-Protocol`, on an upgrade. */
  readonly protocols?: string | undefined;
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly upgrade?: boolean;
  /** The peer's address (`socket.remoteAddress`): what guesses are limited by. */
  readonly remote?: string | undefined;
}

export type AuthDecision =
  | { readonly ok: true; readonly via: 'open' | 'bearer' | 'subprotocol' | 'cookie' }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string }
  | {
      readonly ok: false;
      readonly status: 429;
      readonly reason: string;
      /** Whole seconds, for Retry-After. */
      readonly retryAfterSeconds: number;
    };

/** The outcome of a `/login`: a session's Set-Cookie value, or why not. */
export type LoginResult =
  | { readonly ok: true; readonly cookie: string }
  | { readonly ok: false; readonly status: 401 }
  | { readonly ok: false; readonly status: 429; readonly retryAfterSeconds: number };

/** Something worth an operator's notice (a log line, a trace event); never holds a secret. */
export type AuthEvent =
  | {
      readonly kind: 'login';
      readonly result: 'ok' | 'bad-token' | 'rate-limited';
      /** What was presented: the form's token, the link's code, a bearer header or subprotocol. */
      readonly via: 'token' | 'code' | 'bearer' | 'subprotocol';
      readonly address: string;
    }
  | {
      /** An address (or, scope global, everyone) must now wait before its next credential is checked. */
      readonly kind: 'blocked';
      readonly scope: 'address' | 'global';
      readonly address: string;
      readonly retryAfterMs: number;
    }
  | {
      readonly kind: 'evicted';
      readonly reason: 'address-cap' | 'table-full';
      /** Whose session ended. */
      readonly address: string;
    };

export interface SessionAuthStats {
  readonly sessions: number;
  readonly logins: number;
  readonly failedLogins: number;
  readonly logouts: number;
  readonly expired: number;
  readonly evicted: number;
  /** Sessions ended because their address held `maxSessionsPerAddress`. */
  readonly evictedAddressCap: number;
  /** Sessions ended because the table held `maxSessions`. */
  readonly evictedTableFull: number;
  /** Wrong bearer tokens (header or subprotocol). */
  readonly badBearers: number;
  /** Logins refused unchecked because their address (or everyone) had to wait. */
  readonly rateLimitedLogins: number;
  /** Credentials of any kind refused unchecked (429), by scope. */
  readonly rateLimitedAddress: number;
  readonly rateLimitedGlobal: number;
  /** Addresses the limiter remembers, and those it forgot for room. */
  readonly limitedAddresses: number;
  readonly forgottenAddresses: number;
  /** Cookie-only upgrades refused for a foreign Origin. */
  readonly foreignOrigins: number;
}

function digest(text: string | Uint8Array): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time equality of two secrets of any length (their digests are compared). */
export function secretEquals(given: string | Uint8Array, wanted: string): boolean {
  return timingSafeEqual(digest(given), digest(wanted));
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether `origin` is this server's own (scheme and Host header): what a
 * page the host served sends. A missing Origin (a non-browser client) is
 * not the same origin.
 */
export function sameOrigin(
  origin: string | undefined,
  host: string | undefined,
  tls: boolean,
): boolean {
  if (origin === undefined || host === undefined) return false;
  try {
    const parsed = new URL(origin);
    return (
      parsed.protocol === (tls ? 'https:' : 'http:') &&
      parsed.host === new URL(`${tls ? 'https' : 'http'}://${host}/`).host
    );
  } catch {
    return false;
  }
}

export interface SessionAuthOptions {
  /** '' or undefined: no token, everything is open. */
  readonly token?: string | undefined;
  readonly clock: Clock;
  readonly tls: boolean;
  /** Login session lifetime, absolute. */
  readonly sessionMs: number;
  /** Random bytes for session ids and login codes (default node:crypto). */
  readonly random?: (n: number) => Uint8Array;
  /** Guessing limits (default DEFAULT_LOGIN_LIMITS). */
  readonly limits?: LoginLimits;
  readonly maxSessions?: number;
  readonly maxSessionsPerAddress?: number;
  /** Told of logins, waits and evictions (for the log and the trace). */
  readonly onEvent?: (event: AuthEvent) => void;
}

interface Session {
  readonly expires: number;
  /** The remote address's limiter key: the per-address cap counts by it. */
  readonly address: string;
}

export class SessionAuth {
  readonly required: boolean;
  /** The cookie's name: `__Host-netrx-session` under TLS, `netrx-session` otherwise. */
  readonly cookieName: string;
  private readonly token: string;
  private readonly clock: Clock;
  private readonly tls: boolean;
  private readonly sessionMs: number;
  private readonly random: (n: number) => Uint8Array;
  private readonly limiter: LoginLimiter;
  private readonly maxSessions: number;
  private readonly maxSessionsPerAddress: number;
  private readonly onEvent: (event: AuthEvent) => void;
  /** hex SHA-256 of a session id → its expiry and address. Insertion order is age. */
  private readonly sessions = new Map<string, Session>();
  private code: { readonly digest: Buffer; readonly expires: number } | undefined;
  private counters = {
    logins: 0,
    failedLogins: 0,
    logouts: 0,
    expired: 0,
    evicted: 0,
    evictedAddressCap: 0,
    evictedTableFull: 0,
    badBearers: 0,
    rateLimitedLogins: 0,
    rateLimitedAddress: 0,
    rateLimitedGlobal: 0,
    foreignOrigins: 0,
  };

  constructor(options: SessionAuthOptions) {
    this.token = options.token ?? '';
    this.required = this.token !== '';
    this.clock = options.clock;
    this.tls = options.tls;
    this.sessionMs = options.sessionMs;
    this.random = options.random ?? ((n) => randomBytes(n));
    this.cookieName = options.tls ? SECURE_COOKIE : COOKIE;
    this.limiter = new LoginLimiter(options.limits ?? DEFAULT_LOGIN_LIMITS, this.clock.now());
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
    this.maxSessionsPerAddress = Math.min(
      options.maxSessionsPerAddress ?? MAX_SESSIONS_PER_ADDRESS,
      this.maxSessions,
    );
    this.onEvent = options.onEvent ?? (() => {});
  }

  /**
   * A fresh one-time login code (the previous one stops working); undefined
   * when no token is set. Put it in `/login?code=…`.
   */
  issueLoginCode(): string | undefined {
    if (!this.required) return undefined;
    const code = Buffer.from(this.random(24)).toString('base64url');
    this.code = { digest: digest(code), expires: this.clock.now() + LOGIN_CODE_MS };
    return code;
  }

  /** Whether a request (or upgrade) may go on, and what authorised it. */
  authorize(request: AuthRequest): AuthDecision {
    if (!this.required) return { ok: true, via: 'open' };
    const bearer = /^Bearer +(\S+)\s*$/i.exec(request.authorization ?? '')?.[1];
    const offered =
      request.upgrade === true
        ? (request.protocols ?? '')
            .split(',')
            .slice(0, 8)
            .map((protocol) => tokenFromSubprotocol(protocol.trim()))
            .filter((token) => token !== undefined)
        : [];
    if (bearer !== undefined || offered.length > 0) {
      // A guess while the address waits is not even compared.
      const address = addressKey(request.remote);
      const refused = this.limited(address);
      if (refused !== undefined) return refused;
      // Every candidate is compared, in constant time, whatever an earlier one gave.
      let via: 'bearer' | 'subprotocol' | undefined;
      if (bearer !== undefined && secretEquals(bearer, this.token)) via = 'bearer';
      for (const token of offered) if (secretEquals(token, this.token)) via ??= 'subprotocol';
      // A right bearer does not clear the address's failures: a scraper on
      // the same address (loopback) must not reset a guesser's backoff.
      if (via !== undefined) return { ok: true, via };
      this.counters.badBearers++;
      const presented = bearer !== undefined ? 'bearer' : 'subprotocol';
      this.onEvent({ kind: 'login', result: 'bad-token', via: presented, address });
      this.failed(address);
    }
    if (this.sessionValid(cookieValue(request.cookie, this.cookieName))) {
      if (request.upgrade === true && !sameOrigin(request.origin, request.host, this.tls)) {
        this.counters.foreignOrigins++;
        return {
          ok: false,
          status: 403,
          reason: 'a WebSocket authorised by the login cookie must come from a page of this host',
        };
      }
      return { ok: true, via: 'cookie' };
    }
    return { ok: false, status: 401, reason: 'log in, or send Authorization: Bearer' };
  }

  /**
   * A login with the token or the one-time code: the Set-Cookie header value
   * of a new session, or undefined (counted) when `secret` is neither or the
   * address must wait. `attempt` says which.
   */
  login(secret: string, kind: 'token' | 'code', remote?: string): string | undefined {
    const result = this.attempt(secret, kind, remote);
    return result.ok ? result.cookie : undefined;
  }

  /** A login from `remote` (its socket's address): a new session, 401, or 429 while it waits. */
  attempt(secret: string, kind: 'token' | 'code', remote?: string): LoginResult {
    if (!this.required) return { ok: false, status: 401 };
    const address = addressKey(remote);
    const refused = this.limited(address);
    if (refused !== undefined) {
      this.counters.rateLimitedLogins++;
      this.onEvent({ kind: 'login', result: 'rate-limited', via: kind, address });
      return { ok: false, status: 429, retryAfterSeconds: refused.retryAfterSeconds };
    }
    let ok: boolean;
    if (kind === 'token') ok = secretEquals(secret, this.token);
    else {
      const code = this.code;
      ok =
        code !== undefined &&
        this.clock.now() < code.expires &&
        timingSafeEqual(digest(secret), code.digest);
      // One use: a right code is spent; a wrong guess leaves it be.
      if (ok) this.code = undefined;
    }
    if (!ok) {
      this.counters.failedLogins++;
      this.onEvent({ kind: 'login', result: 'bad-token', via: kind, address });
      this.failed(address);
      return { ok: false, status: 401 };
    }
    this.limiter.succeeded(limiterKey(address));
    this.makeRoom(address);
    const id = Buffer.from(this.random(32)).toString('base64url');
    this.sessions.set(digest(id).toString('hex'), {
      expires: this.clock.now() + this.sessionMs,
      address,
    });
    this.counters.logins++;
    this.onEvent({ kind: 'login', result: 'ok', via: kind, address });
    return { ok: true, cookie: this.cookie(id, Math.floor(this.sessionMs / 1000)) };
  }

  /** Ends the cookie's session (if any); returns the Set-Cookie value that clears it. */
  logout(cookieHeader: string | undefined): string {
    const id = cookieValue(cookieHeader, this.cookieName);
    if (id !== undefined && this.sessions.delete(digest(id).toString('hex'))) {
      this.counters.logouts++;
    }
    return this.cookie('', 0);
  }

  stats(): SessionAuthStats {
    this.sweep();
    return {
      sessions: this.sessions.size,
      ...this.counters,
      limitedAddresses: this.limiter.size,
      forgottenAddresses: this.limiter.forgotten,
    };
  }

  /** The 429 for a credential from `address` while it (or everyone) waits; undefined to go on. */
  private limited(address: string): Extract<AuthDecision, { status: 429 }> | undefined {
    const verdict = this.limiter.check(limiterKey(address), this.clock.now());
    if (verdict.ok) return undefined;
    if (verdict.scope === 'address') this.counters.rateLimitedAddress++;
    else this.counters.rateLimitedGlobal++;
    return {
      ok: false,
      status: 429,
      reason:
        verdict.scope === 'address'
          ? 'too many wrong tokens from this address: wait before trying again'
          : 'too many wrong tokens from everywhere: wait before trying again',
      retryAfterSeconds: Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
    };
  }

  private failed(address: string): void {
    const now = this.clock.now();
    const wait = this.limiter.failed(limiterKey(address), now);
    if (wait > 0) this.onEvent({ kind: 'blocked', scope: 'address', address, retryAfterMs: wait });
    else {
      const global = this.limiter.check(limiterKey(address), now);
      if (!global.ok && global.scope === 'global')
        this.onEvent({
          kind: 'blocked',
          scope: 'global',
          address,
          retryAfterMs: global.retryAfterMs,
        });
    }
  }

  /**
   * Room for one more session of `address`: its own oldest goes when it
   * holds its share; when the table is full, the oldest of whoever holds
   * most (the first such in age order) goes. Never another's for a holder
   * at its cap.
   */
  private makeRoom(address: string): void {
    this.sweep();
    const byAddress = new Map<string, string[]>();
    for (const [key, session] of this.sessions) {
      const list = byAddress.get(session.address);
      if (list === undefined) byAddress.set(session.address, [key]);
      else list.push(key);
    }
    const mine = byAddress.get(address) ?? [];
    let victim: { key: string; address: string; reason: 'address-cap' | 'table-full' } | undefined;
    if (mine.length >= this.maxSessionsPerAddress && mine[0] !== undefined)
      victim = { key: mine[0], address, reason: 'address-cap' };
    else if (this.sessions.size >= this.maxSessions) {
      let most: [string, string[]] | undefined;
      for (const entry of byAddress)
        if (most === undefined || entry[1].length > most[1].length) most = entry;
      const key = most?.[1][0];
      if (most !== undefined && key !== undefined)
        victim = { key, address: most[0], reason: 'table-full' };
    }
    if (victim === undefined) return;
    this.sessions.delete(victim.key);
    this.counters.evicted++;
    if (victim.reason === 'address-cap') this.counters.evictedAddressCap++;
    else this.counters.evictedTableFull++;
    this.onEvent({ kind: 'evicted', reason: victim.reason, address: victim.address });
  }

  private cookie(value: string, maxAge: number): string {
    return `${this.cookieName}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${this.tls ? '; Secure' : ''}`;
  }

  private sessionValid(id: string | undefined): boolean {
    if (id === undefined || id === '' || id.length > 128) return false;
    const key = digest(id).toString('hex');
    const expires = this.sessions.get(key)?.expires;
    if (expires === undefined) return false;
    if (this.clock.now() >= expires) {
      this.sessions.delete(key);
      this.counters.expired++;
      return false;
    }
    return true;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, { expires }] of this.sessions) {
      if (now >= expires) {
        this.sessions.delete(key);
        this.counters.expired++;
      }
    }
  }
}
