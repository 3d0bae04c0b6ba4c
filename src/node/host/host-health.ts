/**
 * `GET /health`: the host's status, its built-in parts (trace, http, the
 * dashboard) and every service's own `status()`. The host is `ok` when
 * every service runs and works; `degraded` when one is down after a failed
 * reload, answered with 503 so a monitor reading only the status code sees
 * it. It is `degraded` with 200 when everything runs but a part does not
 * work as it should (review M4): the dashboard is not built (`/` answers
 * 503), or a service's own probe says so (`degraded()`: the synthetic
 * peer after failed rounds in a row). The API, RADIUS and capture still
 * serve then, so a 503 would page for the wrong thing; the entry says why.
 */
import type { TraceRegistry } from '../../trace/index.js';
import { traceProviderCount } from './trace-bus.js';
import type { HostService } from './host.js';
import { WithStatus, type HttpStatusServer } from './http-status.js';
import type { TlsRotation } from './http-tls.js';

export interface HealthInputs {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly reloads: { readonly applied: number; readonly refused: number };
  readonly trace: TraceRegistry;
  readonly http: HttpStatusServer;
  readonly url: string;
  readonly certificate: TlsRotation | undefined;
  readonly running: readonly HostService[];
  /** Old services that did not come back when a failed reload was rolled back. */
  readonly down: ReadonlyMap<string, string>;
  readonly dashboard: DashboardHealth;
  readonly lastFailedReload:
    | { readonly at: string; readonly failed: readonly { name: string; error: string }[] }
    | undefined;
}

/** The dashboard's entry: whether `/` serves the page, how many files, when they were built. */
export interface DashboardHealth {
  readonly status: 'served' | 'missing';
  readonly files: number;
  /** index.html's modification time (ISO 8601), when there is one. */
  readonly builtAt?: string;
  /** Why the page is not served (`/` answers 503 with it). */
  readonly missing?: string;
}

export function healthAnswer(inputs: HealthInputs): Record<string, unknown> | WithStatus {
  const { http, trace, down, certificate, lastFailedReload } = inputs;
  const services = inputs.running.map((service) => {
    const degraded = service.degraded?.();
    return {
      name: service.name,
      status: 'running',
      ...service.status(),
      ...(degraded === undefined ? {} : { status: 'degraded', degraded }),
    };
  });
  const working =
    inputs.dashboard.status === 'served' && services.every((s) => s.status === 'running');
  const body = {
    status: down.size === 0 && working ? 'ok' : 'degraded',
    name: 'netrx',
    version: inputs.version,
    uptimeSeconds: inputs.uptimeSeconds,
    reloads: inputs.reloads,
    services: [
      { name: 'trace', status: 'running', providers: traceProviderCount(trace) },
      {
        name: 'http',
        status: 'running',
        url: inputs.url,
        requests: http.requests,
        misdirected: http.misdirected,
        unauthorized: http.unauthorized,
        foreignOrigins: http.foreignOrigins,
        preAuthTimeouts: http.preAuthTimeouts,
        connections: http.connections.stats(),
        timedOut: http.timedOut,
        login: http.auth.required ? http.auth.stats() : { required: false },
        ...(certificate === undefined ? {} : { tls: certificate.status() }),
      },
      { name: 'dashboard', ...inputs.dashboard },
      ...services,
      ...[...down].map(([name, error]) => ({ name, status: 'failed', error })),
    ],
    ...(lastFailedReload === undefined ? {} : { lastFailedReload }),
  };
  // A monitor reading only the status code sees a host missing a service.
  return down.size === 0 ? body : new WithStatus(503, body);
}
