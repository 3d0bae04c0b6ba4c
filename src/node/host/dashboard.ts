/**
 * The dashboard on the host's HTTP server: the page (ui/dist, built by
 * `npm run build`) at `/` for browsers (a request that accepts text/html;
 * curl and scripts still get the JSON index), its assets, and
 * `GET /api/dashboard`, which tells the page what to open: the capture
 * session, the capture WebSocket path on this origin, the services, the
 * provider manifest, and what Wireshark's extcap needs to reach this host.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURE_VIEWER_WS_PATH, CAPTURE_WS_PATH } from './capture-service.js';
import type { HostConfig } from './config.js';
import type { DashboardHealth } from './host-health.js';
import type { HttpStatusServer } from './http-status.js';
import { providerManifest, type ManifestProvider } from './manifest.js';
import { StaticFiles, type StaticAnswer } from './static-files.js';

/** ui/dist beside dist/ (or src/, under vitest): three levels up from this file. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

export interface DashboardInfo {
  readonly session: string;
  readonly captureWebSocket: string;
  readonly services: readonly { readonly name: string; readonly address: string }[];
  readonly providers: readonly ManifestProvider[];
  /** `command`: how to run the CLI from where the host runs (`netrx`, or `node dist/cli/main.js`). */
  readonly extcap: { readonly server: string; readonly session: string; readonly command: string };
  /** Whether the page needs a login (`http.token` is set): it then offers a logout. */
  readonly login: boolean;
  /** The capture WebSocket path a page reads its own copy of the sessions from (viewers). */
  readonly viewerWebSocket: string;
  /** Every configured capture session a page may watch (its session selector, review D10). */
  readonly sessions: readonly string[];
  /** Where the page reads the host's counters since its start (review D8). */
  readonly snapshot: string;
}

export function dashboardInfo(
  config: HostConfig,
  started: readonly { readonly name: string; readonly detail: string }[],
  cli = 'netrx',
): DashboardInfo {
  const session =
    config.capture.sessions.find((s) => s.name === 'default')?.name ??
    config.capture.sessions[0]?.name ??
    'default';
  const rpcHost = config.capture.rpc.host.includes(':')
    ? `[${config.capture.rpc.host}]`
    : config.capture.rpc.host;
  // The bound address (a configured port 0 is chosen at start), from the capture service's line.
  const bound = /rpc:\/\/\S+:\d+/.exec(
    started.find((s) => s.name === 'capture')?.detail ?? '',
  )?.[0];
  return {
    session,
    captureWebSocket: CAPTURE_WS_PATH,
    services: started.map((s) => ({ name: s.name, address: s.detail })),
    providers: providerManifest(),
    extcap: {
      server: bound ?? `rpc://${rpcHost}:${config.capture.rpc.port}`,
      session,
      command: cli,
    },
    login: config.http.token !== '',
    viewerWebSocket: CAPTURE_VIEWER_WS_PATH,
    sessions: config.capture.sessions.map((s) => s.name),
    snapshot: DASHBOARD_SNAPSHOT_PATH,
  };
}

/** What the host counted since it started, for a page that opens late (dashboard-snapshot.ts). */
export const DASHBOARD_SNAPSHOT_PATH = '/api/dashboard/snapshot';

/** The dashboard's "save as pcapng": the host's last minutes of packets. */
export const CAPTURE_PCAPNG_PATH = '/api/capture.pcapng';

/** A downloaded pcapng file. */
export function pcapngAnswer(body: Uint8Array): StaticAnswer {
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/vnd.tcpdump.pcap',
      'Content-Disposition': 'attachment; filename="netrx.pcapng"',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  };
}

/** The dashboard's `/health` entry (review M4). */
export function dashboardHealth(files: StaticFiles, dir: string): DashboardHealth {
  if (files.missing !== undefined) return { status: 'missing', files: 0, missing: files.missing };
  let builtAt: string | undefined;
  try {
    builtAt = statSync(join(dir, 'index.html')).mtime.toISOString();
  } catch {
    // Gone right after the load (a rebuild): the page is still served from memory.
  }
  return { status: 'served', files: files.count, ...(builtAt === undefined ? {} : { builtAt }) };
}

/**
 * Serves the page, its assets, /api/dashboard and the binary downloads
 * given; returns the loaded files (how many, or why none).
 */
export function mountDashboard(
  http: HttpStatusServer,
  info: () => DashboardInfo,
  downloads: Readonly<Record<string, () => StaticAnswer>> = {},
  dir = DASHBOARD_DIR,
): StaticFiles {
  const files = StaticFiles.load(dir);
  http.files((path) => files.answer(path));
  for (const [path, answer] of Object.entries(downloads)) http.download(path, answer);
  http.route('/api/dashboard', info);
  return files;
}
