// Review F10 on the fake: a host that boots while NATS is away publishes
// into a stand-in link. Its publisher counts loss within its bound, as
// while disconnected later; once the connection is `connected`, the real
// link opens (a failure is retried on the clock), the streams asked for
// are created, queued consumers start and the publisher sends again.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../testing/index.js';
import { attachWhenConnected } from './attach.js';
import type { NatsConnectionState, NatsConnectionStatus } from './connection-settings.js';
import { captureLinkWhenConnected } from './deferred-capture-link.js';
import { FakeJetStream } from './fake-jetstream.js';
import type { NatsCaptureLink } from './nats.js';
import type { LinkStatus, StreamMessage } from './ports.js';

/** A connection whose state the test sets. */
function fakeConnection(initial: NatsConnectionState) {
  let state = initial;
  const listeners = new Set<(state: NatsConnectionState) => void>();
  return {
    status: () => ({ state }) as NatsConnectionStatus,
    onState(listener: (state: NatsConnectionState) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next: NatsConnectionState) {
      state = next;
      for (const listener of [...listeners]) listener(next);
    },
  };
}

function fakeLink(js: FakeJetStream, ensured: string[]): NatsCaptureLink {
  return {
    serverVersion: '2.9.10',
    consumerErrors: 0,
    consumerErrorCodes: {},
    streamChanges: { updated: 0, held: 0, kept: 0 },
    streamHosts: (stream, session) => js.streamHosts(stream, session),
    consumerLag: (stream, durable) => js.consumerLag(stream, durable),
    publish: (subject, data, msgId) => js.publish(subject, data, msgId),
    consume: (spec, onMessage, onError) => js.consume(spec, onMessage, onError),
    ensureStream: (session) => {
      ensured.push(session);
      return Promise.resolve([]);
    },
    onStatus: () => undefined,
    close: () => Promise.resolve(),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('captureLinkWhenConnected (NATS down at boot)', () => {
  it('answers unsent and says disconnected, then attaches once connected: streams, consumers, status', async () => {
    const clock = new VirtualClock();
    const connection = fakeConnection('reconnecting');
    const js = new FakeJetStream({ maxMsgs: 100 });
    const ensured: string[] = [];
    let opens = 0;
    const link = captureLinkWhenConnected({
      connection,
      clock,
      retryMs: 500,
      open: () => {
        opens++;
        return opens === 1
          ? Promise.reject(new Error('JetStream not ready'))
          : Promise.resolve(fakeLink(js, ensured));
      },
    });
    const heard: LinkStatus[] = [];
    link.onStatus((status) => heard.push(status));
    await link.ensureStream('lab', { maxBytes: 65_536 });
    const read: StreamMessage[] = [];
    link.consume({ stream: 'lab', filter: 'netrx.lab.>', durable: 'd' }, (m) => read.push(m));
    const before = await link.publish('netrx.lab.h1.p', new Uint8Array([1]), 'id-1');
    expect(before.kind).toBe('unsent');
    expect([heard, link.attached, opens, ensured]).toEqual([['disconnected'], false, 0, []]);

    connection.set('connected');
    await flush();
    expect([opens, link.attached, link.attachError]).toEqual([1, false, 'JetStream not ready']);
    clock.advance(499);
    await flush();
    expect(opens).toBe(1);
    clock.advance(1);
    await flush();
    expect([opens, link.attached, ensured, heard]).toEqual([
      2,
      true,
      ['lab'],
      ['disconnected', 'connected'],
    ]);
    expect((await link.publish('netrx.lab.h1.p', new Uint8Array([2]), 'id-2')).kind).toBe('stored');
    js.deliver();
    expect(read.map((m) => [...m.data])).toEqual([[2]]);
    await link.close();
  });

  it('an attachment stopped before the server answers never opens, and one opened after stop is discarded', async () => {
    const clock = new VirtualClock();
    const connection = fakeConnection('reconnecting');
    let opened = 0;
    const handed: number[] = [];
    const stopped = attachWhenConnected({
      connection,
      clock,
      open: () => Promise.resolve(++opened),
      attached: (value) => handed.push(value),
    });
    stopped.stop();
    connection.set('connected');
    await flush();
    expect([opened, handed]).toEqual([0, []]);
    let release: (value: number) => void = () => undefined;
    const discarded: number[] = [];
    const late = attachWhenConnected({
      connection,
      clock,
      open: () => new Promise<number>((resolve) => (release = resolve)),
      attached: () => discarded.push(-1),
      discard: (value) => discarded.push(value),
    });
    late.stop();
    release(7);
    await flush();
    expect([discarded, late.done]).toEqual([[7], false]);
  });
});
