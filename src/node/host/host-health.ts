/**
 * `GET /health`: the host's status, its built-in parts (trace, http) and
 * every service's own `status()`. The host is `ok` when every service runs;
 * `degraded` (and answered with 503, so a monitor reading only the status
 * code sees it) when one is down after a failed reload.
 */
import type { TraceRegistry } from '../../trace/index.js';
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
  readonly lastFailedReload:
    | { readonly at: string; readonly failed: readonly { name: string; error: string }[] }
    | undefined;
}

export function healthAnswer(inputs: HealthInputs): Record<string, unknown> | WithStatus {
  const { http, trace, down, certificate, lastFailedReload } = inputs;
  const body = {
    status: down.size === 0 ? 'ok' : 'degraded',
    name: 'netrx',
    version: inputs.version,
    uptimeSeconds: inputs.uptimeSeconds,
    reloads: inputs.reloads,
    services: [
      { name: 'trace', status: 'running', providers: trace.providers().length },
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
      ...inputs.running.map((service) => ({
        name: service.name,
        status: 'running',
        ...service.status(),
      })),
      ...[...down].map(([name, error]) => ({ name, status: 'failed', error })),
    ],
    ...(lastFailedReload === undefined ? {} : { lastFailedReload }),
  };
  // A monitor reading only the status code sees a host missing a service.
  return down.size === 0 ? body : new WithStatus(503, body);
}
