/**
 * `synthetic` in `netrx up`: traffic that exercises the stack so a fresh
 * host's dashboard and capture sessions are never empty. Every `intervalMs`
 * a netrx peer (the RADIUS EAP client, as a NAS would run it) authenticates
 * against the host's own RADIUS server with the next of `radius.methods` in
 * turn; each round is one `netrx-synthetic-peer` event (method, outcome,
 * duration) beside the `netrx-radius` events the server writes. Each round
 * also sends one UDP datagram across two stacks on an in-memory wire and
 * back (synthetic-link.ts), so the link layer has frames to show too.
 * Each round also opens one WebSocket to the host's echo endpoint
 * (synthetic-websocket.ts, `synthetic.websocket`) and runs one chat login
 * script on an in-memory port pair (synthetic-port.ts, `synthetic.port`),
 * so the WebSocket and Ports panels are not empty either (review M2).
 */
import { createMd5Method, createMschapV2Method } from '../../eap/index.js';
import type { Timer } from '../../runtime/index.js';
import type { Adapter } from '../../link/index.js';
import { defineEvent, TraceLevel, type TraceProvider } from '../../trace/index.js';
import { runRadiusEapTest } from '../radius/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';
import type { MetricFamily } from './metrics.js';
import { isRadiusService } from './radius-service.js';
import { startSyntheticLink, type SyntheticLink } from './synthetic-link.js';
import { SYNTHETIC_PORT_NAME, runSyntheticLogin } from './synthetic-port.js';
import { echoUrl, runEchoRound } from './synthetic-websocket.js';

export const SYNTHETIC_PEER_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0101',
  name: 'netrx-synthetic-peer',
} as const;

export const SyntheticPeerEvent = {
  authenticated: defineEvent({
    id: 1,
    name: 'PeerAuthenticationFinished',
    level: TraceLevel.Information,
    keywords: 0x1n,
    fields: [
      { name: 'method', type: 'string' },
      { name: 'outcome', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'durationMs', type: 'u32' },
      { name: 'requests', type: 'u32' },
    ],
  }),
} as const;

/** Failed rounds in a row after which /health shows the peer `degraded` (review M4). */
export const SYNTHETIC_DEGRADED_AFTER = 3;

interface Round {
  readonly method: string;
  readonly outcome: string;
  readonly reason: string;
  readonly durationMs: number;
}

/** How long one synthetic WebSocket round may take, open to close. */
export const SYNTHETIC_WEBSOCKET_TIMEOUT_MS = 1000;

/** What each synthetic service was built from, so a running one can compare a reload's (L3). */
const settingsOf = new WeakMap<
  HostService,
  {
    config: HostConfig['synthetic'];
    methods: HostConfig['radius']['methods'];
    echoPath: string | undefined;
  }
>();

/** Rounds of one kind that succeeded and failed, with the last failure's reason. */
class Tally {
  ok = 0;
  failed = 0;
  lastFailure = '';
  count(ok: boolean, reason: string): void {
    if (ok) this.ok++;
    else {
      this.failed++;
      this.lastFailure = reason;
    }
  }
  status(): Record<string, unknown> {
    return {
      ok: this.ok,
      failed: this.failed,
      ...(this.lastFailure === '' ? {} : { lastFailure: this.lastFailure }),
    };
  }
  samples(labels: Record<string, string>) {
    return [
      { labels: { ...labels, result: 'ok' }, value: this.ok },
      { labels: { ...labels, result: 'failed' }, value: this.failed },
    ];
  }
}

/**
 * `echoPath`: the host's WebSocket echo endpoint (`websocket.echo.path`),
 * undefined when there is none the peer may open (echo off, or a token it
 * does not hold); then `synthetic.websocket` has nothing to do.
 */
export function syntheticService(
  config: HostConfig['synthetic'],
  methods: HostConfig['radius']['methods'],
  echoPath?: string,
): HostService {
  /** The section now: a reload may change it in place (review L3). */
  let current = config;
  let fingerprint = JSON.stringify({ config, methods, echoPath });
  const websocketRounds = new Tally();
  const loginScripts = new Tally();
  /** chat's exit code of the last login script ('running' while one runs). */
  let loginResult: string | undefined;
  let stopping: AbortController | undefined;
  /** Moves the next round to the new interval (set while running). */
  let reschedule: (() => void) | undefined;
  let timer: Timer | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = true;
  let rounds = 0;
  const results = new Map<string, { method: string; outcome: string; count: number }>();
  let last: Round | undefined;
  /** Rounds that did not end in success since the last one that did. */
  let failedInRow = 0;
  let link: SyntheticLink | undefined;
  let detachCapture: (() => void)[] = [];
  const service: HostService = {
    name: 'synthetic',
    // It finds the running radius service at each round (context.service),
    // so a reload that restarts radius does not restart the peer (review D7);
    // a change of radius.methods changes `methods`, and so this fingerprint.
    get fingerprint() {
      return fingerprint;
    },
    // A new synthetic section (intervalMs, a rotated secret, the identity)
    // is taken in place (review L3): each round reads it, the adapters'
    // counters and the round count go on, the next round moves to the new
    // interval. New methods (radius.methods) restart the peer.
    updateInPlace(next) {
      const wanted = settingsOf.get(next);
      if (
        wanted === undefined ||
        JSON.stringify(wanted.methods) !== JSON.stringify(methods) ||
        wanted.echoPath !== echoPath
      )
        return undefined;
      return () => {
        current = wanted.config;
        fingerprint = JSON.stringify(wanted);
        reschedule?.();
      };
    },
    start(context) {
      const provider: TraceProvider = context.trace.register(SYNTHETIC_PEER_PROVIDER);
      stopped = false;
      const wire = startSyntheticLink(context.trace, context.clock);
      link = wire;
      detachCapture = wire.adapters.map((adapter) => context.captureAdapter(adapter));
      const abort = new AbortController();
      stopping = abort;
      // Only over plain HTTP: the peer holds no CA for the host's own certificate.
      const echo =
        echoPath === undefined || !context.url.startsWith('http:')
          ? undefined
          : echoUrl(context.url, echoPath);
      const round = async () => {
        await wire.round();
        if (current.websocket && echo !== undefined) {
          const result = await runEchoRound(
            echo,
            `netrx synthetic round ${rounds + 1}`,
            context.clock,
            SYNTHETIC_WEBSOCKET_TIMEOUT_MS,
          );
          websocketRounds.count(result.ok, result.reason);
        }
        if (current.port && !abort.signal.aborted) {
          loginResult = 'running';
          const { exitCode } = await runSyntheticLogin(context.trace, context.clock, abort.signal);
          loginResult = `exit ${exitCode}`;
          loginScripts.count(exitCode === 0, `chat exit ${exitCode}`);
        }
        const radius = context.service('radius');
        // Undefined while a reload restarts radius: this round is skipped.
        const target = isRadiusService(radius) ? radius.address() : undefined;
        const name = methods[rounds % methods.length] ?? 'md5';
        rounds++;
        if (target === undefined) return;
        const startedAt = context.clock.now();
        const method =
          name === 'md5'
            ? createMd5Method({ crypto: context.crypto })
            : createMschapV2Method({ crypto: context.crypto });
        const address =
          target.address === '0.0.0.0'
            ? '127.0.0.1'
            : target.address === '::'
              ? '::1'
              : target.address;
        const result = await runRadiusEapTest({
          servers: [{ address, port: target.port, secret: current.secret }],
          methods: [method],
          identity: current.identity,
          password: current.password,
          timeoutMs: 1000,
          retries: 1,
          nasIdentifier: 'netrx-synthetic',
          clock: context.clock,
          crypto: context.crypto,
        });
        const durationMs = Math.max(0, Math.round(context.clock.now() - startedAt));
        last = { method: name, outcome: result.outcome, reason: result.reason, durationMs };
        failedInRow = result.outcome === 'success' ? 0 : failedInRow + 1;
        const key = `${name} ${result.outcome}`;
        const entry = results.get(key) ?? { method: name, outcome: result.outcome, count: 0 };
        entry.count++;
        results.set(key, entry);
        provider.emit(SyntheticPeerEvent.authenticated, {
          method: name,
          outcome: result.outcome,
          reason: result.reason,
          durationMs,
          requests: result.requests,
        });
      };
      const schedule = (ms: number) => {
        timer = context.clock.setTimer(ms, () => {
          timer = undefined;
          if (stopped) return;
          inFlight = round()
            .catch((error: unknown) => context.log(`synthetic: ${(error as Error).message}`))
            .finally(() => {
              inFlight = undefined;
              if (!stopped) schedule(current.intervalMs);
            });
        });
      };
      reschedule = () => {
        // A round in flight schedules the next itself, at the new interval.
        if (timer === undefined || stopped) return;
        timer.cancel();
        schedule(current.intervalMs);
      };
      // The first round soon after start, so a new host shows an authentication at once.
      schedule(Math.min(250, current.intervalMs));
      const also = [
        ...(current.websocket && echo !== undefined ? [`a WebSocket to ${echo.pathname}`] : []),
        ...(current.port ? [`a login script on ${SYNTHETIC_PORT_NAME}`] : []),
      ];
      return Promise.resolve(
        `a netrx peer authenticates as ${current.identity} every ${current.intervalMs} ms (${methods.join(', ')} in turn)${also.length === 0 ? '' : `, with ${also.join(' and ')}`}`,
      );
    },
    async stop() {
      stopped = true;
      stopping?.abort('the host is stopping');
      timer?.cancel();
      timer = undefined;
      await inFlight;
      for (const detach of detachCapture.splice(0)) detach();
      link?.close();
      link = undefined;
    },
    snapshot: () => ({
      adapters: (link?.adapters ?? []).map(adapterCounts),
      neighbours: link?.neighbours() ?? [],
      // A row for the Ports panel, as a ports[] entry gives one (dashboard-snapshot.ts).
      scripts:
        loginResult === undefined ? [] : [{ port: SYNTHETIC_PORT_NAME, result: loginResult }],
    }),
    degraded: () =>
      failedInRow < SYNTHETIC_DEGRADED_AFTER || last === undefined
        ? undefined
        : `the last ${failedInRow} rounds failed (last: ${last.method} ${last.outcome}${last.reason === '' ? '' : `, ${last.reason}`}): check synthetic.secret, identity and password against radius`,
    status: () => ({
      intervalMs: current.intervalMs,
      rounds,
      failedInRow,
      udpEchoes: link?.echoes ?? 0,
      websocketRounds: websocketRounds.status(),
      loginScripts: loginScripts.status(),
      ...(last === undefined ? {} : { last }),
    }),
    metrics: (): MetricFamily[] => [
      ...(link?.metrics() ?? []),
      {
        name: 'netrx_synthetic_websocket_rounds_total',
        help: 'WebSocket rounds (open, echo, close 1000) the synthetic peer ran against the echo, by result.',
        type: 'counter',
        samples: websocketRounds.samples({}),
      },
      {
        name: 'netrx_synthetic_login_scripts_total',
        help: 'Chat login scripts the synthetic peer ran on its in-memory port pair, by result.',
        type: 'counter',
        samples: loginScripts.samples({}),
      },
      {
        name: 'netrx_synthetic_auths_total',
        help: 'Authentications the synthetic peer ran against the host, by method and outcome.',
        type: 'counter',
        samples: [...results.values()].map((r) => ({
          labels: { method: r.method, result: r.outcome },
          value: r.count,
        })),
      },
    ],
  };
  settingsOf.set(service, { config, methods, echoPath });
  return service;
}

/** An adapter's frames for the dashboard's link panel (as its FrameAccepted/FrameDropped events count them). */
export function adapterCounts(adapter: Adapter): {
  name: string;
  accepted: number;
  dropped: number;
} {
  const stats = adapter.stats();
  const dropped = Object.values(stats.dropped).reduce((n: number, v) => n + (v ?? 0), 0);
  return { name: adapter.name, accepted: stats.accepted, dropped };
}
