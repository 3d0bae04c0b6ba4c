/**
 * The dashboard's files (ui/dist), read once into memory when the host starts
 * (a few tens of kilobytes) and served with strict headers: a
 * Content-Security-Policy that allows only this origin (no inline script, no
 * framing), `nosniff`, no referrer to another site. Vite's hashed assets are cached for good;
 * the page itself is revalidated. Paths are looked up in the loaded table,
 * never joined onto the file system, so no request can read outside it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

export interface StaticAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "script-src 'self'",
  "style-src 'self'",
  "base-uri 'none'",
  // The login and logout forms post to this host only.
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: under it a browser sends `Origin: null` with the page's
  // own form posts (Fetch, "append a request Origin header"), and /login
  // refuses a null Origin (login CSRF from sandboxed frames). same-origin
  // sends the page's URL to this host only, and that URL holds no secret:
  // the login link answers 303 to ./ before any page loads.
  'Referrer-Policy': 'same-origin',
  // frame-ancestors 'none' says it to current browsers; this to older ones.
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

/** At most this much is loaded: the dashboard is small, and a wrong directory must not fill memory. */
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

export class StaticFiles {
  private constructor(
    private readonly files: ReadonlyMap<string, { type: string; body: Uint8Array }>,
    /** Why there are no files (the dashboard was not built), for the 503 page. */
    readonly missing: string | undefined,
  ) {}

  /** How many files were loaded (the dashboard's /health entry). */
  get count(): number {
    return this.files.size;
  }

  /** Loads `dir` (ui/dist); a missing build is not an error: `/` then says how to build it. */
  static load(dir: string): StaticFiles {
    if (!existsSync(join(dir, 'index.html'))) {
      return new StaticFiles(
        new Map(),
        `the dashboard is not built (no ${join(dir, 'index.html')}): run npm run build`,
      );
    }
    const files = new Map<string, { type: string; body: Uint8Array }>();
    let total = 0;
    const walk = (at: string): void => {
      for (const entry of readdirSync(at)) {
        if (entry.startsWith('.')) continue;
        const path = join(at, entry);
        const stat = statSync(path);
        if (stat.isDirectory()) walk(path);
        else if (stat.isFile()) {
          const type = TYPES[extname(entry).toLowerCase()];
          if (type === undefined) continue;
          total += stat.size;
          if (total > MAX_TOTAL_BYTES)
            throw new Error(
              `${dir} holds more than ${MAX_TOTAL_BYTES} bytes: not a dashboard build`,
            );
          files.set(`/${relative(dir, path).split(sep).join('/')}`, {
            type,
            body: readFileSync(path),
          });
        }
      }
    };
    walk(dir);
    return new StaticFiles(files, undefined);
  }

  /** The answer for a GET of `path` (no query), or undefined when it is not a dashboard file. */
  answer(path: string): StaticAnswer | undefined {
    const key = path === '/' ? '/index.html' : path;
    const file = this.files.get(key);
    if (file === undefined) {
      if (path !== '/' || this.missing === undefined) return undefined;
      return {
        status: 503,
        headers: {
          ...SECURITY_HEADERS,
          'Content-Type': 'text/plain; charset=utf-8',
          'Cache-Control': 'no-store',
        },
        body: new TextEncoder().encode(`${this.missing}\n`),
      };
    }
    return {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': file.type,
        'Cache-Control': key.startsWith('/assets/')
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
      },
      body: file.body,
    };
  }

  get size(): number {
    return this.files.size;
  }
}
