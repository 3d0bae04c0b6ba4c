/**
 * The dashboard's files (ui/dist), read once into memory when the host starts
 * (a few tens of kilobytes) and served with strict headers: a
 * Content-Security-Policy that allows only this origin (no inline script, no
 * framing), `nosniff`, no referrer to another site. Vite's hashed assets are cached for good;
 * the page itself is revalidated. Paths are looked up in the loaded table,
 * never joined onto the file system, so no request can read outside it.
 *
 * Loading never stops the host: a file that vanishes or cannot be read
 * between the listing and the read (a rebuild of ui/dist while the host
 * starts) is left out and said in `problems` (the host logs each line);
 * its path answers 503 until a restart loads it, where a path never listed
 * is simply not a dashboard file (404). Without a readable index.html, `/`
 * answers 503 with the reason, as for a dashboard that was never built.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

/** The file system calls the load makes (node:fs by default; tests inject vanishing files). */
export interface StaticFileSystem {
  readdir(path: string): readonly string[];
  stat(path: string): { isFile(): boolean; isDirectory(): boolean; readonly size: number };
  readFile(path: string): Uint8Array;
}

const nodeFileSystem: StaticFileSystem = {
  readdir: (path) => readdirSync(path),
  stat: (path) => statSync(path),
  readFile: (path) => readFileSync(path),
};

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'it vanished while the dashboard was loading';
  return error instanceof Error ? error.message : String(error);
}

type LoadedFile = { readonly type: string; readonly body: Uint8Array };

export class StaticFiles {
  private constructor(
    private readonly files: ReadonlyMap<string, LoadedFile>,
    /** Why `/` has no page (not built, unreadable), for the 503 page. */
    readonly missing: string | undefined,
    /** Paths listed but not loaded, with why: each answers 503. */
    private readonly failed: ReadonlyMap<string, string>,
    /** One line per file or directory left out, for the host's log. */
    readonly problems: readonly string[],
  ) {}

  /** How many files were loaded (the dashboard's /health entry, review M4). */
  get count(): number {
    return this.files.size;
  }

  /**
   * Loads `dir` (ui/dist); a missing build is not an error: `/` then says
   * how to build it. Never throws: what cannot be read is in `problems`.
   */
  static load(dir: string, fs: StaticFileSystem = nodeFileSystem): StaticFiles {
    const index = join(dir, 'index.html');
    const notBuilt = `the dashboard is not built (no ${index}): run npm run build`;
    try {
      if (!fs.stat(index).isFile()) return new StaticFiles(new Map(), notBuilt, new Map(), []);
    } catch {
      return new StaticFiles(new Map(), notBuilt, new Map(), []);
    }
    const files = new Map<string, LoadedFile>();
    const failed = new Map<string, string>();
    const problems: string[] = [];
    let total = 0;
    let tooBig = false;
    const leaveOut = (path: string, key: string | undefined, error: unknown) => {
      const reason = reasonOf(error);
      if (key !== undefined) failed.set(key, reason);
      problems.push(`dashboard: ${path} not served (503): ${reason}`);
    };
    const walk = (at: string): void => {
      let entries: readonly string[];
      try {
        entries = fs.readdir(at);
      } catch (error) {
        leaveOut(at, undefined, error);
        return;
      }
      for (const entry of entries) {
        if (entry.startsWith('.') || tooBig) continue;
        const path = join(at, entry);
        const key = `/${relative(dir, path).split(sep).join('/')}`;
        const type = TYPES[extname(entry).toLowerCase()];
        try {
          const stat = fs.stat(path);
          if (stat.isDirectory()) {
            walk(path);
            continue;
          }
          if (!stat.isFile() || type === undefined) continue;
          total += stat.size;
          if (total > MAX_TOTAL_BYTES) {
            tooBig = true;
            continue;
          }
          files.set(key, { type, body: fs.readFile(path) });
        } catch (error) {
          // Only a file of a served type would have answered; others stay unknown (404).
          leaveOut(path, type === undefined ? undefined : key, error);
        }
      }
    };
    walk(dir);
    if (tooBig) {
      const reason = `${dir} holds more than ${MAX_TOTAL_BYTES} bytes: not a dashboard build`;
      return new StaticFiles(new Map(), reason, new Map(), [`dashboard: not served: ${reason}`]);
    }
    const page = failed.get('/index.html');
    const missing = page === undefined ? undefined : `the dashboard page ${index}: ${page}`;
    return new StaticFiles(files, missing, failed, problems);
  }

  /** The answer for a GET of `path` (no query), or undefined when it is not a dashboard file. */
  answer(path: string): StaticAnswer | undefined {
    const key = path === '/' ? '/index.html' : path;
    const file = this.files.get(key);
    if (file === undefined) {
      const failed = this.failed.get(key);
      const why =
        path === '/' ? this.missing : failed === undefined ? undefined : `${key}: ${failed}`;
      if (why === undefined) return undefined;
      return {
        status: 503,
        headers: {
          ...SECURITY_HEADERS,
          'Content-Type': 'text/plain; charset=utf-8',
          'Cache-Control': 'no-store',
        },
        body: new TextEncoder().encode(`${why}\n`),
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
