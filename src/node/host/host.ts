import type { Clock, Crypto } from '../../runtime/index.js';
import { TraceRegistry, type TraceEvent, type TraceProvider } from '../../trace/index.js';
import { nodeCrypto, systemClock } from '../runtime/index.js';
import type { HostConfig } from './config.js';
import { HOST_PROVIDER, HostEvent } from './events.js';
import { HttpStatusServer } from './http-status.js';

/** What every service of the host is given when it starts. */
export interface HostContext {
  readonly clock: Clock;
  readonly crypto: Crypto;
  readonly trace: TraceRegistry;
  readonly http: HttpStatusServer;
  /** The HTTP server's URL (`http://127.0.0.1:7340/`). */
  readonly url: string;
  /** A line for the operator while running (standard error under `netrx up`). */
  readonly log: (line: string) => void;
}

/**
 * A capability the host runs (the WebSocket echo endpoint, a VXLAN adapter, a
 * RADIUS server…). `start` resolves with one line saying where it is; `status`
 * is what `/health` shows for it.
 */
export interface HostService {
  readonly name: string;
  start(context: HostContext): Promise<string>;
  stop(): Promise<void>;
  status(): Record<string, unknown>;
}

export interface RunningHost {
  readonly url: string;
  readonly trace: TraceRegistry;
  /** One line per service: name and where it is. */
  readonly started: readonly { readonly name: string; readonly detail: string }[];
  stop(): Promise<void>;
}

export interface StartHostOptions {
  readonly clock?: Clock;
  readonly crypto?: Crypto;
  /** Extra services to run beside the built-in ones. */
  readonly services?: readonly HostService[];
  /** Where `trace.console` lines go. Default: standard error. */
  readonly log?: (line: string) => void;
  readonly version: string;
}

/**
 * Starts `netrx up`: the trace bus, the HTTP status endpoint, then every
 * service. If any start fails, what already started is stopped again and the
 * error is rethrown, so a host is either up whole or not at all.
 */
export async function startHost(
  config: HostConfig,
  options: StartHostOptions,
): Promise<RunningHost> {
  const clock = options.clock ?? systemClock;
  const crypto = options.crypto ?? nodeCrypto;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const trace = new TraceRegistry({ clock });
  const provider = trace.register(HOST_PROVIDER);
  const startedAt = clock.now();
  const consoleSubscription = config.trace.console
    ? trace.enable('*', (event) => log(formatEvent(event)), { level: config.trace.level })
    : undefined;

  const http = new HttpStatusServer({
    host: config.http.host,
    port: config.http.port,
    trace: provider,
  });
  const services = [...(options.services ?? [])];
  const started: { name: string; detail: string }[] = [];
  const running: HostService[] = [];

  http.route('/health', () => ({
    status: 'ok',
    name: 'netrx',
    version: options.version,
    uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
    services: [
      { name: 'trace', status: 'running', providers: trace.providers().length },
      {
        name: 'http',
        status: 'running',
        url,
        requests: http.requests,
        misdirected: http.misdirected,
      },
      ...running.map((service) => ({ name: service.name, status: 'running', ...service.status() })),
    ],
  }));
  http.route('/', () => ({ name: 'netrx', version: options.version, routes: http.paths() }));
  http.route('/trace/providers', () =>
    trace
      .providers()
      .map((p) => ({ guid: p.guid, name: p.name, enabled: p.isEnabled(), written: p.written })),
  );

  let url = '';
  try {
    ({ url } = await http.listen());
  } catch (error) {
    consoleSubscription?.disable();
    throw new Error(`http: ${(error as Error).message}`, { cause: error });
  }
  started.push({ name: 'trace', detail: `trace bus with ${trace.providers().length} provider(s)` });
  started.push({ name: 'http', detail: `${url} (GET /health)` });
  announce(provider, 'trace', started[0]!.detail);
  announce(provider, 'http', url);

  const context: HostContext = { clock, crypto, trace, http, url, log };
  try {
    for (const service of services) {
      const detail = await service.start(context);
      running.push(service);
      started.push({ name: service.name, detail });
      announce(provider, service.name, detail);
    }
  } catch (error) {
    await stopAll(running, provider);
    await http.close();
    consoleSubscription?.disable();
    throw error;
  }
  // Services register their providers as they start: count them all.
  started[0] = { name: 'trace', detail: `trace bus with ${trace.providers().length} provider(s)` };

  let stopping: Promise<void> | undefined;
  return {
    url,
    trace,
    started,
    stop: () =>
      (stopping ??= (async () => {
        await stopAll(running, provider);
        await http.close();
        provider.emit(HostEvent.serviceStopped, { service: 'http' });
        consoleSubscription?.disable();
      })()),
  };
}

async function stopAll(running: HostService[], provider: TraceProvider): Promise<void> {
  for (const service of running.reverse()) {
    await service.stop();
    provider.emit(HostEvent.serviceStopped, { service: service.name });
  }
  running.length = 0;
}

function announce(provider: TraceProvider, service: string, detail: string): void {
  provider.emit(HostEvent.serviceStarted, { service, detail });
}

function formatEvent(event: TraceEvent): string {
  const time = new Date(event.timestamp).toISOString();
  return `${time} ${event.provider.name}/${event.descriptor.name} level=${event.descriptor.level} bytes=${event.payload.length}`;
}
