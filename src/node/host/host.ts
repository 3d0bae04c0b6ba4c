import { HostListenError } from './start-errors.js';
import { pino } from 'pino';
import {
  TraceRegistry,
  type TraceEvent,
  type TraceProvider,
  type TraceSubscription,
} from '../../trace/index.js';
import { openPacketCaptureProvider } from '../../link/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import type { HostConfig } from './config.js';
import { HOST_PROVIDER, HostEvent } from './events.js';
import {
  CAPTURE_PCAPNG_PATH,
  DASHBOARD_SNAPSHOT_PATH,
  DASHBOARD_DIR,
  dashboardHealth,
  dashboardInfo,
  mountDashboard,
  pcapngAnswer,
} from './dashboard.js';
import { AdapterCapture, PacketHistory } from './packet-history.js';
import { dashboardSnapshot } from './dashboard-snapshot.js';
import { ServiceTotals } from './counter-carry.js';
import { healthAnswer } from './host-health.js';
import { HttpStatusServer } from './http-status.js';
import { TlsRotation, readTlsFiles } from './http-tls.js';
import { hostMetrics } from './host-metrics.js';
import { METRICS_CONTENT_TYPE, formatMetrics } from './metrics.js';
import { restoreStopped, rolledBack } from './host-rollback.js';
import { preflightListen } from './listen-preflight.js';
import { applyUpdates, planReload, type ReloadResult } from './reload.js';
import { providerManifest } from './manifest.js';
import { traceBusEntry } from './trace-bus.js';
import type { HostContext, HostService, RunningHost, StartHostOptions } from './host-types.js';

export type { HostContext, HostService, RunningHost, StartHostOptions } from './host-types.js';

type Started = { name: string; detail: string };

/**
 * Starts `netrx up`: the trace bus, the HTTP status endpoint, then every
 * service. If any start fails, what already started is stopped again and the
 * error is rethrown, so a host is either up whole or not at all.
 */
export async function startHost(
  initial: HostConfig,
  options: StartHostOptions,
): Promise<RunningHost> {
  let config = initial;
  const clock = options.clock ?? systemClock;
  const crypto = options.crypto ?? nodeCrypto;
  // No logger given: a silent one that writes nowhere (never pino's default, standard output).
  const logger = options.logger ?? pino({ level: 'silent' }, { write: () => {} });
  const plain = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = options.logger === undefined ? plain : (line: string) => options.logger?.info(line);
  const trace = new TraceRegistry({ clock });
  const provider = trace.register(HOST_PROVIDER);
  const startedAt = clock.now();
  let consoleSubscription: TraceSubscription | undefined;
  const applyTraceConsole = () => {
    consoleSubscription?.disable();
    consoleSubscription = config.trace.console
      ? trace.enable('*', (event) => log(formatEvent(event)), { level: config.trace.level })
      : undefined;
  };
  applyTraceConsole();

  const { tls, token } = config.http;
  const pems = tls.cert === '' ? undefined : await readTlsFiles(tls);
  const http = new HttpStatusServer({
    host: config.http.host,
    port: config.http.port,
    trace: provider,
    ...(pems === undefined ? {} : { tls: pems }),
    ...(token === '' ? {} : { token }),
    sessionMs: config.http.sessionMinutes * 60_000,
    login: {
      attempts: config.http.login.attempts,
      backoffMs: config.http.login.backoffSeconds * 1000,
      maxBackoffMs: config.http.login.maxBackoffSeconds * 1000,
      globalPerMinute: config.http.login.globalPerMinute,
      maxAddresses: config.http.login.maxAddresses,
      maxSessions: config.http.login.maxSessions,
      maxSessionsPerAddress: config.http.login.maxSessionsPerAddress,
    },
    limits: config.http.limits,
    logger,
    clock,
  });
  // A renewed certificate at the same paths is served from the next reload on (review D2).
  const certificate =
    pems === undefined ? undefined : new TlsRotation(tls, pems, (next) => http.renewTls(next));
  const started: Started[] = [];
  const running: HostService[] = [];
  let reloads = { applied: 0, refused: 0 };
  /** The last reload that failed and was rolled back (or could not be): /health says so. */
  let lastFailedReload: { at: string; failed: { name: string; error: string }[] } | undefined;
  /** Old services that did not come back when a failed reload was rolled back. */
  const down = new Map<string, string>();
  /** What stopped instances counted, added to the next instance of each name (review H1). */
  const totals = new ServiceTotals();

  http.route('/health', () =>
    healthAnswer({
      version: options.version,
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      reloads,
      trace,
      http,
      url,
      certificate,
      running,
      down,
      dashboard: dashboardState,
      lastFailedReload,
    }),
  );
  http.route('/', () => ({ name: 'netrx', version: options.version, routes: http.paths() }));
  http.route('/trace/providers', () =>
    trace
      .providers()
      .map((p) => ({ guid: p.guid, name: p.name, enabled: p.isEnabled(), written: p.written })),
  );
  const metrics = () =>
    formatMetrics([
      ...hostMetrics(http, trace, reloads, (clock.now() - startedAt) / 1000),
      ...running.flatMap((service) => totals.metrics(service)),
    ]);
  http.text('/metrics', () => ({ type: METRICS_CONTENT_TYPE, body: metrics() }));
  http.route(DASHBOARD_SNAPSHOT_PATH, () =>
    dashboardSnapshot(running, trace, clock.now(), startedAt, (service) =>
      totals.snapshotCounts(service),
    ),
  );
  // One packet-capture provider for every adapter the services run, and the
  // last minutes of their frames for the dashboard's "save as pcapng".
  const adapters = new AdapterCapture(openPacketCaptureProvider({ registry: trace }));
  const packets = new PacketHistory(clock);
  const dashboardDir = options.dashboardDir ?? DASHBOARD_DIR;
  packets.listen(trace);
  const dashboard = mountDashboard(
    http,
    () => dashboardInfo(config, started, options.cli),
    { [CAPTURE_PCAPNG_PATH]: () => pcapngAnswer(packets.pcapng()) },
    dashboardDir,
  );
  const dashboardState = dashboardHealth(dashboard, dashboardDir);
  // A dashboard file that vanished or could not be read: its path answers 503, the host runs on.
  for (const problem of dashboard.problems) {
    if (options.logger === undefined) log(problem);
    else logger.error({ service: 'dashboard' }, problem);
  }

  let url = '';
  try {
    ({ url } = await http.listen());
  } catch (error) {
    consoleSubscription?.disable();
    packets.close();
    adapters.provider.close();
    // HttpStatusServer says why in words after the address (no errno kept).
    const reason = (error as Error).message.replace(/^cannot listen on \S+: /, '');
    throw new HostListenError(
      'http.port',
      { protocol: 'tcp', address: config.http.host, port: config.http.port },
      reason,
      error,
    );
  }
  started.push(traceBusEntry(trace, providerManifest().length));
  started.push({ name: 'http', detail: `${url} (GET /health, /metrics)` });
  started.push({
    name: 'dashboard',
    detail: dashboard.missing === undefined ? url : `not served: ${dashboard.missing}`,
  });
  announce(provider, 'http', url);

  const context: HostContext = {
    clock,
    crypto,
    trace,
    http,
    url,
    log,
    logger,
    captureAdapter: (adapter) => adapters.attach(adapter),
    service: (name) => running.find((service) => service.name === name),
  };
  const startOne = async (service: HostService) => {
    const detail = await service.start(context);
    running.push(service);
    started.push({ name: service.name, detail });
    announce(provider, service.name, detail);
    logger.info({ service: service.name, detail }, `${service.name} started`);
  };
  const stopOne = async (service: HostService) => {
    totals.stopping(service);
    const said = await service.stop();
    provider.emit(HostEvent.serviceStopped, { service: service.name });
    logger.info(
      { service: service.name },
      `${service.name} stopped${typeof said === 'string' ? `: ${said}` : ''}`,
    );
  };
  try {
    for (const service of options.services ?? []) await startOne(service);
  } catch (error) {
    for (const service of running.splice(0).reverse()) await stopOne(service);
    await http.close();
    consoleSubscription?.disable();
    packets.close();
    adapters.provider.close();
    throw error;
  }
  // Services register their providers as they start: count them all (the line stays current).
  announce(provider, 'trace', traceBusEntry(trace, providerManifest().length).detail);

  let stopping: Promise<void> | undefined;
  let reloading: Promise<ReloadResult> = Promise.resolve({
    ok: true,
    updated: [],
    restarted: [],
    kept: [],
    stopped: [],
    started: [],
    failed: [],
  });
  const code = http.auth.issueLoginCode();
  return {
    url,
    loginUrl: code === undefined ? undefined : `${url}login?code=${code}`,
    trace,
    started,
    metrics,
    reloadRefused: (error) => {
      reloads = { ...reloads, refused: reloads.refused + 1 };
      lastFailedReload = {
        at: new Date(clock.now()).toISOString(),
        failed: [{ name: 'config', error }],
      };
    },
    reload: (next, services) =>
      (reloading = reloading.then(async () => {
        if (stopping !== undefined)
          return { ok: false, error: 'the host is stopping', ...emptyPlan() };
        if (JSON.stringify(next.http) !== JSON.stringify(config.http)) {
          reloads = { ...reloads, refused: reloads.refused + 1 };
          return {
            ok: false,
            error:
              'http: changing the HTTP endpoint needs a restart of netrx up; kept the running configuration',
            ...emptyPlan(),
          };
        }
        // Every new listen address is tried before any service stops (review H2).
        const clash = await preflightListen(config, next);
        if (clash !== undefined) {
          reloads = { ...reloads, refused: reloads.refused + 1 };
          const error = `${clash.message}; nothing was restarted, kept the running configuration`;
          const failed = [
            { name: clash.path.split(/[.[]/)[0] ?? clash.path, error: clash.message },
          ];
          lastFailedReload = { at: new Date(clock.now()).toISOString(), failed };
          return { ok: false, error, ...emptyPlan(), failed };
        }
        try {
          if ((await certificate?.reload()) === 'renewed')
            logger.info(
              { service: 'http', fingerprint256: certificate?.status().fingerprint256 },
              'http.tls: serving the renewed certificate to new connections',
            );
        } catch (error) {
          reloads = { ...reloads, refused: reloads.refused + 1 };
          const message = (error as Error).message;
          lastFailedReload = {
            at: new Date(clock.now()).toISOString(),
            failed: [{ name: 'http', error: message }],
          };
          return { ok: false, error: message, ...emptyPlan() };
        }
        const plan = planReload(running, services);
        // Stop what goes, dependents first (reverse start order), then start what comes.
        for (const service of [...running].reverse())
          if (plan.toStop.includes(service)) await stopOne(service);
        const keptOrStarted = new Set(plan.keep);
        const failed: { name: string; error: string }[] = [];
        const order: HostService[] = [];
        const fresh: HostService[] = [];
        for (const service of plan.next) {
          if (keptOrStarted.has(service)) {
            order.push(service);
            continue;
          }
          try {
            const detail = await service.start(context);
            order.push(service);
            fresh.push(service);
            announce(provider, service.name, detail);
            logger.info({ service: service.name, detail }, `${service.name} started`);
          } catch (error) {
            failed.push({ name: service.name, error: (error as Error).message });
            logger.error({ service: service.name }, `${service.name}: ${(error as Error).message}`);
            // Nothing after it starts (a dependent would run against nothing).
            break;
          }
        }
        if (failed.length > 0) {
          // Roll back (review D1): stop what this reload started, bring the
          // old instances back with the old configuration, count it refused.
          for (const service of fresh.reverse()) await stopOne(service);
          const restored = await restoreStopped(running, plan.toStop, {
            start: (service) => service.start(context),
            restored: (service, detail) => {
              totals.restored(service);
              down.delete(service.name);
              announce(provider, service.name, detail);
              logger.info({ service: service.name, detail }, `${service.name} restored`);
            },
            lost: (service, error) => {
              down.set(service.name, error.message);
              logger.error(
                { service: service.name },
                `${service.name}: could not be restored: ${error.message}`,
              );
            },
          });
          running.splice(0, running.length, ...restored);
          reloads = { ...reloads, refused: reloads.refused + 1 };
          lastFailedReload = { at: new Date(clock.now()).toISOString(), failed };
          return {
            ok: false,
            error: `${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}; ${rolledBack(plan.toStop, down)}`,
            ...plan.result,
            failed,
          };
        }
        // Every restart came up: now the in-place changes. One that fails
        // changed nothing of its service (see updateInPlace) and is reported.
        for (const failure of await applyUpdates(plan.updates)) {
          failed.push(failure);
          logger.error({ service: failure.name }, `${failure.name}: not updated: ${failure.error}`);
        }
        running.splice(0, running.length, ...order);
        down.clear();
        config = next;
        // A host without a logger of its own keeps its silent one silent.
        if (options.logger !== undefined) logger.level = next.log.level;
        applyTraceConsole();
        if (failed.length > 0) {
          reloads = { ...reloads, refused: reloads.refused + 1 };
          lastFailedReload = { at: new Date(clock.now()).toISOString(), failed };
          return {
            ok: false,
            error: `${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}; the rest of the reload is applied`,
            ...plan.result,
            updated: plan.result.updated.filter((name) => !failed.some((f) => f.name === name)),
            failed,
          };
        }
        reloads = { ...reloads, applied: reloads.applied + 1 };
        return { ok: true, ...plan.result, failed };
      })),
    stop: () =>
      (stopping ??= (async () => {
        await reloading.catch(() => undefined);
        // 1. Stop accepting: no new HTTP connection, no new work in any service.
        logger.info('stopping: no longer accepting connections');
        http.stopAccepting();
        for (const service of [...running].reverse()) await service.drain?.();
        // 2. Finish or close sessions, service by service in reverse start
        //    order, so the capture sessions (started first) flush last.
        for (const service of running.splice(0).reverse()) await stopOne(service);
        await http.close();
        provider.emit(HostEvent.serviceStopped, { service: 'http' });
        logger.info({ service: 'http' }, 'http stopped');
        consoleSubscription?.disable();
        packets.close();
        adapters.provider.close();
      })()),
  };
}

function emptyPlan(): Omit<ReloadResult, 'ok'> {
  return { restarted: [], kept: [], updated: [], stopped: [], started: [], failed: [] };
}

function announce(provider: TraceProvider, service: string, detail: string): void {
  provider.emit(HostEvent.serviceStarted, { service, detail });
}

function formatEvent(event: TraceEvent): string {
  const time = new Date(event.timestamp).toISOString();
  return `${time} ${event.provider.name}/${event.descriptor.name} level=${event.descriptor.level} bytes=${event.payload.length}`;
}
