/**
 * `netrx-synthetic`: a trace provider for tests and benchmarks. It writes
 * events at a requested rate on the injected clock; each event's user data
 * begins with a little-endian u64 sequence number counting from 0, followed
 * by filler up to `payloadBytes`. A sequence number is spent only on an event
 * some listener wanted, so a client can check
 * `delivered + lost = generated` and find every gap.
 */
import type { Clock, Timer } from '../runtime/index.js';
import { defineEvent, TraceLevel, type TraceProvider, type TraceRegistry } from '../trace/index.js';

export const SYNTHETIC_PROVIDER_NAME = 'netrx-synthetic';
/** "netrx-synthetic" in ASCII, padded. */
export const SYNTHETIC_PROVIDER_GUID = '6e657472-782d-7379-6e74-686574696300';

/** The one event it writes: level Information, keyword 0x1, user data `sequence` u64 then filler. */
export const SyntheticEvent = defineEvent({
  id: 1,
  name: 'Sequence',
  level: TraceLevel.Information,
  keywords: 0x1n,
  fields: [{ name: 'sequence', type: 'u64' }],
});

export interface SyntheticProviderOptions {
  readonly registry: TraceRegistry;
  readonly clock: Clock;
  /** Events per second while running. Default 1000; 0 emits only through `emit`. */
  readonly eventsPerSecond?: number;
  /** Stop after this many events. Default unlimited. */
  readonly count?: number;
  /** User data length, sequence number included. Default 128; 8 to 65,431. */
  readonly payloadBytes?: number;
  /** How often the clock timer runs to catch up with the rate. Default 10 ms. */
  readonly tickMs?: number;
  /** Start at the first enablement instead of at once (`netrx capture serve`). Default false. */
  readonly startOnEnable?: boolean;
}

export interface SyntheticProvider {
  readonly provider: TraceProvider;
  /** Sequence numbers spent: events some listener received. */
  readonly generated: number;
  /** Events the schedule called for while nobody listened (no number spent). */
  readonly skipped: number;
  readonly running: boolean;
  /** Writes up to `n` events now (the count limit applies); returns how many were generated. */
  emit(n: number): number;
  start(): void;
  /** Idempotent. */
  stop(): void;
}

const TWO_32 = 0x1_0000_0000;

export function startSyntheticProvider(options: SyntheticProviderOptions): SyntheticProvider {
  const { registry, clock } = options;
  const rate = options.eventsPerSecond ?? 1000;
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const payloadBytes = options.payloadBytes ?? 128;
  const tickMs = options.tickMs ?? 10;
  if (!(rate >= 0 && Number.isFinite(rate))) {
    throw new RangeError(`eventsPerSecond must be a finite number >= 0: got ${rate}`);
  }
  if (!(limit >= 0)) throw new RangeError(`count must be >= 0: got ${limit}`);
  if (!Number.isInteger(payloadBytes) || payloadBytes < 8 || payloadBytes > 65_431) {
    throw new RangeError(`payloadBytes must be an integer from 8 to 65431: got ${payloadBytes}`);
  }
  if (!(tickMs > 0 && Number.isFinite(tickMs))) {
    throw new RangeError(`tickMs must be a positive number of ms: got ${tickMs}`);
  }
  const provider = registry.register({
    guid: SYNTHETIC_PROVIDER_GUID,
    name: SYNTHETIC_PROVIDER_NAME,
  });
  // One payload, rewritten per event: listeners copy what they keep (netrx/trace's rule).
  const payload = new Uint8Array(payloadBytes);
  for (let i = 8; i < payloadBytes; i++) payload[i] = i & 0xff;
  const view = new DataView(payload.buffer);
  let generated = 0;
  let skipped = 0;
  let scheduled = 0;
  let startedAt = 0;
  let timer: Timer | undefined;
  let running = false;
  let offEnable: (() => void) | undefined;
  let writing = false;

  const writeOne = (): boolean => {
    if (!provider.isEnabled(SyntheticEvent.level, SyntheticEvent.keywords)) {
      skipped++;
      return false;
    }
    // A listener that emits from inside its call gets a payload of its own
    // (a deliberate copy, rare), so later listeners of the outer event still
    // see the outer sequence number.
    const bytes = writing ? payload.slice() : payload;
    const target = writing ? new DataView(bytes.buffer) : view;
    target.setUint32(0, generated >>> 0, true);
    target.setUint32(4, Math.floor(generated / TWO_32), true);
    generated++;
    const outer = writing;
    writing = true;
    try {
      provider.write(SyntheticEvent, bytes);
    } finally {
      writing = outer;
    }
    return true;
  };

  const emit = (n: number): number => {
    let written = 0;
    for (let i = 0; i < n && generated + skipped < limit; i++) if (writeOne()) written++;
    return written;
  };

  const tick = () => {
    timer = undefined;
    if (!running) return;
    const due = Math.min(Math.floor(((clock.now() - startedAt) * rate) / 1000), limit);
    while (scheduled < due && generated + skipped < limit) {
      scheduled++;
      writeOne();
    }
    if (generated + skipped >= limit) {
      running = false;
      return;
    }
    timer = clock.setTimer(tickMs, tick);
  };

  const start = () => {
    if (running || rate === 0) return;
    running = true;
    startedAt = clock.now();
    scheduled = 0;
    timer = clock.setTimer(tickMs, tick);
  };

  if (options.startOnEnable === true) {
    offEnable = provider.onEnable((notification) => {
      if (notification.control === 'enable') {
        offEnable?.();
        offEnable = undefined;
        start();
      }
    });
    // onEnable runs at once for listeners already present; if it started, drop the hook.
    if (running) {
      offEnable?.();
      offEnable = undefined;
    }
  } else {
    start();
  }

  return {
    provider,
    get generated() {
      return generated;
    },
    get skipped() {
      return skipped;
    },
    get running() {
      return running;
    },
    emit,
    start,
    stop() {
      running = false;
      timer?.cancel();
      timer = undefined;
      offEnable?.();
      offEnable = undefined;
    },
  };
}
