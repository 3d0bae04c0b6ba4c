/**
 * One `link.pcapReplay[]` entry in `netrx up` (review D11): an adapter whose
 * wire is a capture file. Its frames go through the host's packet capture
 * (capture sessions, the dashboard's pcapng) and, with addresses, an IP
 * stack; what it sends goes nowhere (a file cannot answer). The replay runs
 * in the background from the start: as fast as the stack takes the frames,
 * or at N times the capture's pace on the host's clock, once or in a loop.
 * A file that turns bad after the check ends the replay with its error in
 * /health; the service stays up with its counters.
 */
import { Adapter, createStack, type Stack } from '../../link/index.js';
import type { Timer } from '../../runtime/index.js';
import { parseMac } from '../../wire/index.js';
import { replayPcap } from '../link/index.js';
import type { HostConfig } from './config.js';
import type { HostService } from './host.js';
import { adapterMetrics } from './link-metrics.js';
import type { MetricFamily } from './metrics.js';

export type PcapReplayConfig = HostConfig['link']['pcapReplay'][number];

/** Ends a replay that a stop interrupts while it waits for the next frame's time. */
class Stopped extends Error {}

export function pcapReplayService(config: PcapReplayConfig): HostService {
  const name = config.name;
  let adapter: Adapter | undefined;
  let stack: Stack | undefined;
  let detach: (() => void) | undefined;
  let running: Promise<void> | undefined;
  let stopping = false;
  let waiting: { timer: Timer; reject: (error: Error) => void } | undefined;
  const totals = { frames: 0, skipped: 0, truncated: 0, loops: 0, answers: 0 };
  let error: string | undefined;
  return {
    name,
    fingerprint: JSON.stringify(config),
    start(context) {
      stopping = false;
      // The schema's pattern admits only what parses.
      const mac = parseMac(config.mac) ?? new Uint8Array(6);
      // What the stack answers goes nowhere (a file cannot answer): counted.
      const transmit = () => void totals.answers++;
      adapter = new Adapter({ name, mac, trace: context.trace, transmit });
      detach = context.captureAdapter(adapter);
      if (config.ipv4.length + config.ipv6.length > 0)
        stack = createStack({
          adapter,
          clock: context.clock,
          trace: context.trace,
          ipv4: config.ipv4,
          ipv6: config.ipv6,
          ipv6LinkLocal: config.ipv6.length > 0,
        });
      const on = adapter;
      const clock = context.clock;
      running = (async () => {
        for (let loop = 0; !stopping && (config.loops === 0 || loop < config.loops); loop++) {
          // The capture's pace: record N waits until (t_N - t_first) / speed after the loop began.
          let first: bigint | undefined;
          const began = clock.now();
          const pace = (stamp: bigint | undefined): Promise<void> | undefined => {
            if (stopping) return Promise.reject(new Stopped());
            if (config.speed === 0 || stamp === undefined) return undefined;
            first ??= stamp;
            const due = began + Number(stamp - first) / 1e6 / config.speed;
            const delay = due - clock.now();
            if (delay <= 0) return undefined;
            return new Promise<void>((resolve, reject) => {
              waiting = { timer: clock.setTimer(delay, () => resolve()), reject };
            }).finally(() => (waiting = undefined));
          };
          const stats = await replayPcap(config.file, on, { burst: config.burst, pace });
          totals.frames += stats.frames;
          totals.skipped += stats.skipped;
          totals.truncated += stats.truncated;
          totals.loops++;
          // A turn between loops, so a short file in a loop leaves the event loop to others.
          await new Promise((resolve) => setImmediate(resolve));
        }
      })().catch((failure: unknown) => {
        if (failure instanceof Stopped) return;
        error = (failure as Error).message;
        context.logger.error(
          { service: name },
          `${name}: replay of ${config.file} ended: ${error}`,
        );
      });
      const pace =
        config.speed === 0 ? 'as fast as possible' : `${config.speed}x the capture's pace`;
      const loops = config.loops === 0 ? 'in a loop' : `${config.loops} time(s)`;
      return Promise.resolve(`replaying ${config.file} ${loops}, ${pace}`);
    },
    async stop() {
      stopping = true;
      if (waiting !== undefined) {
        waiting.timer.cancel();
        waiting.reject(new Stopped());
      }
      await running;
      stack?.close();
      detach?.();
      stack = undefined;
      adapter = undefined;
      return `${totals.frames} frame(s) replayed in ${totals.loops} loop(s)`;
    },
    status: () => ({
      file: config.file,
      running: running !== undefined && !stopping && error === undefined,
      /** Waiting on the clock for the next frame's time (a paced replay). */
      waiting: waiting !== undefined,
      ...totals,
      ...(error === undefined ? {} : { error }),
      ...(adapter === undefined ? {} : { adapter: adapter.stats() }),
    }),
    metrics: (): MetricFamily[] => {
      if (adapter === undefined) return [];
      const stats = adapter.stats();
      const labels = { adapter: name };
      return [
        ...adapterMetrics(stats, labels),
        {
          name: 'netrx_link_replay_frames_total',
          help: 'Ethernet records a pcap replay read from its file (every loop).',
          type: 'counter',
          samples: [{ labels, value: totals.frames }],
        },
        {
          name: 'netrx_link_replay_loops_total',
          help: 'Times a pcap replay went through its whole file.',
          type: 'counter',
          samples: [{ labels, value: totals.loops }],
        },
      ];
    },
  };
}
