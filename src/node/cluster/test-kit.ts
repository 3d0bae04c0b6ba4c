/**
 * Shared by the cluster unit and property tests: a host (registry, a
 * provider writing u32 sequence numbers, a publisher on a fake stream) and
 * a reader session in a session table, plus helpers to read buffers.
 */
import { SYNTHETIC_PROVIDER_GUID, SessionTable, SyntheticEvent } from '../../capture/index.js';
import type { SessionLimits } from '../../capture/index.js';
import type { VirtualClock } from '../../testing/index.js';
import { TraceRegistry, type TraceProvider } from '../../trace/index.js';
import { parseEventBuffer } from '../../wire/index.js';
import type { FakeJetStream } from './fake-jetstream.js';
import type { ConsumerError } from './ports.js';
import { CapturePublisher, type CapturePublisherOptions } from './publisher.js';
import { StreamSessionSource } from './reader.js';
import { hostFromActivityId } from './subjects.js';

export interface TestHost {
  readonly registry: TraceRegistry;
  readonly provider: TraceProvider;
  readonly publisher: CapturePublisher;
  /** Writes one event carrying `seq` (events written in one turn share a message). */
  emit(seq: number): void;
  /** Writes one event and lets its publish go out alone before the next (one message each). */
  emitAlone(seq: number): Promise<void>;
}

export function makeHost(
  clock: VirtualClock,
  stream: FakeJetStream,
  host: string,
  options: Partial<CapturePublisherOptions> = {},
): TestHost {
  const registry = new TraceRegistry({ clock });
  const provider = registry.register({ guid: SYNTHETIC_PROVIDER_GUID, name: 'netrx-synthetic' });
  const publisher = new CapturePublisher({
    port: stream,
    registry,
    clock,
    host,
    session: 'lab',
    providers: [{ provider: 'netrx-synthetic' }],
    instance: 'run1',
    ...options,
  });
  const payload = new Uint8Array(8);
  const view = new DataView(payload.buffer);
  return {
    registry,
    provider,
    publisher,
    emit(seq) {
      view.setUint32(0, seq, true);
      provider.write(SyntheticEvent, payload);
    },
    async emitAlone(seq) {
      view.setUint32(0, seq, true);
      provider.write(SyntheticEvent, payload);
      await settle();
    },
  };
}

export function makeReader(
  clock: VirtualClock,
  stream: FakeJetStream,
  hosts: string,
  limits: Partial<SessionLimits> = {},
  server = 'server',
) {
  const table = new SessionTable({ registry: new TraceRegistry({ clock }), clock });
  const errors: ConsumerError[] = [];
  const source = new StreamSessionSource({
    port: stream,
    session: 'lab',
    hosts,
    durable: `netrx-reader-lab-${server}`,
    clock,
    onError: (error) => errors.push(error),
  });
  const session = table.createSession({
    name: 'lab',
    providers: [],
    source,
    limits: { timerMs: 100, ...limits },
  });
  session.start();
  return { table, source, session, errors };
}

export interface ReadEvent {
  readonly host: string;
  readonly seq: number;
}

/** Events (host, seq) and the lost count of one EVENT_BUFFER; throws unless NET_EVENT_LOST is last. */
export function readBuffer(data: Uint8Array): { events: ReadEvent[]; lost: number } {
  const parsed = parseEventBuffer(data);
  if (!parsed.ok) throw new Error(`bad buffer: ${parsed.failure.code}`);
  const events: ReadEvent[] = [];
  let lost = 0;
  parsed.value.forEach((item, index) => {
    if (item.kind === 'lost') {
      if (index !== parsed.value.length - 1) throw new Error('NET_EVENT_LOST is not last');
      lost = item.lostEventCount;
    } else if (item.kind === 'event') {
      const user = item.record.userData;
      const seq = new DataView(user.buffer, user.byteOffset, user.byteLength).getUint32(0, true);
      events.push({ host: hostFromActivityId(item.record.header.activityId), seq });
    }
  });
  return { events, lost };
}

/** Lets the fake's promise answers run (microtasks only; no wall-clock time). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
