/**
 * The host's own `/metrics` families: uptime, HTTP requests and refusals,
 * reloads, trace events written, and the dashboard login's and the
 * connection bounds' counters (session-auth.ts, http-security.ts). The
 * services add theirs (HostService.metrics).
 */
import type { TraceRegistry } from '../../trace/index.js';
import { traceProviderCount } from './trace-bus.js';
import type { HttpStatusServer } from './http-status.js';
import type { MetricFamily } from './metrics.js';

export function hostMetrics(
  http: HttpStatusServer,
  trace: TraceRegistry,
  reloads: { applied: number; refused: number },
  uptimeSeconds: number,
): MetricFamily[] {
  return [
    {
      name: 'netrx_up_uptime_seconds',
      help: 'Seconds since the host started.',
      type: 'gauge',
      samples: [{ value: Math.round(uptimeSeconds) }],
    },
    {
      name: 'netrx_http_requests_total',
      help: 'HTTP requests the host answered.',
      type: 'counter',
      samples: [{ value: http.requests }],
    },
    {
      name: 'netrx_http_misdirected_total',
      help: 'HTTP requests refused for a Host header this host does not serve.',
      type: 'counter',
      samples: [{ value: http.misdirected }],
    },
    {
      name: 'netrx_http_unauthorized_total',
      help: 'HTTP requests and upgrades refused for a missing or wrong bearer token.',
      type: 'counter',
      samples: [{ value: http.unauthorized }],
    },
    {
      name: 'netrx_http_pre_auth_timeouts_total',
      help: 'Connections cut for reaching no request or authorized upgrade within 10 s of accept (TLS included).',
      type: 'counter',
      samples: [{ value: http.preAuthTimeouts }],
    },
    ...dashboardMetrics(http),
    {
      name: 'netrx_reloads_total',
      help: 'Configuration reloads (SIGHUP), by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'applied' }, value: reloads.applied },
        { labels: { result: 'refused' }, value: reloads.refused },
      ],
    },
    {
      name: 'netrx_trace_providers',
      help: 'Providers on the trace bus (the number /health and the startup line give).',
      type: 'gauge',
      samples: [{ value: traceProviderCount(trace) }],
    },
    {
      name: 'netrx_trace_events_written_total',
      help: 'Trace events written, per provider.',
      type: 'counter',
      samples: trace.providers().map((p) => ({ labels: { provider: p.name }, value: p.written })),
    },
  ];
}

/** The login's and the connection bounds' counters (http-security.ts, session-auth.ts). */
function dashboardMetrics(http: HttpStatusServer): MetricFamily[] {
  const connections = http.connections.stats();
  const families: MetricFamily[] = [
    {
      name: 'netrx_http_connections',
      help: 'HTTP connections open now (WebSockets included).',
      type: 'gauge',
      samples: [{ value: connections.open }],
    },
    {
      name: 'netrx_http_timed_out_total',
      help: 'Connections cut off for sending their request too slowly (http.limits).',
      type: 'counter',
      samples: [{ value: http.timedOut }],
    },
    {
      name: 'netrx_http_websockets',
      help: 'WebSocket connections open now, handshakes included.',
      type: 'gauge',
      samples: [{ value: connections.webSockets }],
    },
    {
      name: 'netrx_http_connections_refused_total',
      help: 'Connections and upgrades refused for a bound (http.limits), by bound.',
      type: 'counter',
      samples: [
        { labels: { limit: 'per-address' }, value: connections.refusedPerAddress },
        { labels: { limit: 'total' }, value: connections.refusedTotal },
        { labels: { limit: 'websockets' }, value: connections.refusedWebSockets },
      ],
    },
    {
      name: 'netrx_http_pre_auth_evicted_total',
      help: 'Connections cut before their first request to make room for a new one from their address.',
      type: 'counter',
      samples: [{ value: connections.evictedPreAuth }],
    },
  ];
  if (!http.auth.required) return families;
  const login = http.auth.stats();
  return [
    ...families,
    {
      name: 'netrx_dashboard_logins_total',
      help: 'Dashboard logins (the form and the one-time link), by result.',
      type: 'counter',
      samples: [
        { labels: { result: 'ok' }, value: login.logins },
        { labels: { result: 'bad-token' }, value: login.failedLogins },
        { labels: { result: 'rate-limited' }, value: login.rateLimitedLogins },
      ],
    },
    {
      name: 'netrx_http_bad_tokens_total',
      help: 'Wrong bearer tokens (Authorization header or WebSocket subprotocol).',
      type: 'counter',
      samples: [{ value: login.badBearers }],
    },
    {
      name: 'netrx_http_rate_limited_total',
      help: 'Credentials refused unchecked while their address, or everyone, had to wait.',
      type: 'counter',
      samples: [
        { labels: { scope: 'address' }, value: login.rateLimitedAddress },
        { labels: { scope: 'global' }, value: login.rateLimitedGlobal },
      ],
    },
    {
      name: 'netrx_dashboard_sessions',
      help: 'Dashboard login sessions held now.',
      type: 'gauge',
      samples: [{ value: login.sessions }],
    },
    {
      name: 'netrx_dashboard_sessions_evicted_total',
      help: 'Dashboard sessions ended to make room for a new login, by reason.',
      type: 'counter',
      samples: [
        { labels: { reason: 'address-cap' }, value: login.evictedAddressCap },
        { labels: { reason: 'table-full' }, value: login.evictedTableFull },
      ],
    },
  ];
}
