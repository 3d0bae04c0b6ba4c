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
 * Bounded: at most `MAX_SESSIONS` sessions (the oldest is ended for a new
 * one, counted), expired ones swept on every check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../runtime/index.js';
import { tokenFromSubprotocol } from '../../capture/index.js';

/** How long the printed login link is good for (one use). */
export const LOGIN_CODE_MS = 15 * 60_000;
/** Login sessions held at once. */
export const MAX_SESSIONS = 64;
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
}

export type AuthDecision =
  | { readonly ok: true; readonly via: 'open' | 'bearer' | 'subprotocol' | 'cookie' }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

export interface SessionAuthStats {
  readonly sessions: number;
  readonly logins: number;
  readonly failedLogins: number;
  readonly logouts: number;
  readonly expired: number;
  readonly evicted: number;
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
  /** hex SHA-256 of a session id → its expiry. Insertion order is age. */
  private readonly sessions = new Map<string, number>();
  private code: { readonly digest: Buffer; readonly expires: number } | undefined;
  private counters = {
    logins: 0,
    failedLogins: 0,
    logouts: 0,
    expired: 0,
    evicted: 0,
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
    // Every candidate is compared, in constant time, whatever an earlier one gave.
    let via: 'bearer' | 'subprotocol' | undefined;
    if (bearer !== undefined && secretEquals(bearer, this.token)) via = 'bearer';
    if (request.upgrade === true) {
      const offered = (request.protocols ?? '').split(',').slice(0, 8);
      for (const protocol of offered) {
        const token = tokenFromSubprotocol(protocol.trim());
        if (token !== undefined && secretEquals(token, this.token)) via ??= 'subprotocol';
      }
    }
    if (via !== undefined) return { ok: true, via };
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
   * of a new session, or undefined (counted) when `secret` is neither.
   */
  login(secret: string, kind: 'token' | 'code'): string | undefined {
    if (!this.required) return undefined;
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
      return undefined;
    }
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
      this.counters.evicted++;
    }
    const id = Buffer.from(this.random(32)).toString('base64url');
    this.sessions.set(digest(id).toString('hex'), this.clock.now() + this.sessionMs);
    this.counters.logins++;
    return this.cookie(id, Math.floor(this.sessionMs / 1000));
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
    return { sessions: this.sessions.size, ...this.counters };
  }

  private cookie(value: string, maxAge: number): string {
    return `${this.cookieName}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${this.tls ? '; Secure' : ''}`;
  }

  private sessionValid(id: string | undefined): boolean {
    if (id === undefined || id === '' || id.length > 128) return false;
    const key = digest(id).toString('hex');
    const expires = this.sessions.get(key);
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
    for (const [key, expires] of this.sessions) {
      if (now >= expires) {
        this.sessions.delete(key);
        this.counters.expired++;
      }
    }
  }
}
