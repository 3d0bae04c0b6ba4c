/**
 * The host's HTTP routes: what services register on the endpoint (JSON GET
 * routes, text routes such as `/metrics`, downloads, upgrade paths) and
 * the one table that says which paths exist, so the 404 answer and `GET /`
 * list the same paths the dispatch answers.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StaticAnswer } from './static-files.js';

/** A JSON GET route; returns the body to send with status 200. */
export type JsonRoute = () => unknown;

/** A JSON route's answer with a status other than 200 (`/health` degraded: 503). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
/** A GET route answered with its own content type (`/metrics`: Prometheus text). */
export type TextRoute = () => { readonly type: string; readonly body: string };
/** Looks a GET path up among static files; undefined when it is not one. */
export type StaticLookup = (path: string) => StaticAnswer | undefined;
/** Takes over an HTTP upgrade request (a WebSocket endpoint, later). */
export type UpgradeRoute = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Upgrade routes' options. */
export interface UpgradeOptions {
  /** Refuse (403) an upgrade whose Origin is another site's, however it is authorised. */
  readonly sameOrigin?: boolean;
}

/** Every path the endpoint answers, by kind. */
export class RouteTable {
  readonly json = new Map<string, JsonRoute>();
  readonly texts = new Map<string, TextRoute>();
  readonly upgrades = new Map<string, UpgradeRoute>();
  readonly sameOriginUpgrades = new Set<string>();
  readonly downloads = new Map<string, () => StaticAnswer>();
  staticLookup: StaticLookup | undefined;

  upgrade(path: string, handler: UpgradeRoute, options: UpgradeOptions): void {
    this.upgrades.set(path, handler);
    if (options.sameOrigin === true) this.sameOriginUpgrades.add(path);
    else this.sameOriginUpgrades.delete(path);
  }

  /** Whether some route other than a static file claims `path`. */
  claims(path: string): boolean {
    return (
      this.json.has(path) ||
      this.texts.has(path) ||
      this.upgrades.has(path) ||
      this.downloads.has(path)
    );
  }

  /** JSON routes, text routes, downloads, `extra` (login), then WebSocket (upgrade) paths. */
  paths(extra: readonly string[]): string[] {
    const plain = [...this.json.keys(), ...this.texts.keys(), ...this.downloads.keys(), ...extra];
    return [...plain, ...[...this.upgrades.keys()].filter((p) => !plain.includes(p))];
  }
}

export function isGetOrHead(request: IncomingMessage): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

export function acceptsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(request.headers.accept ?? '');
}

/** The request's path without its query (a login code stays out of routing and traces). */
export function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
