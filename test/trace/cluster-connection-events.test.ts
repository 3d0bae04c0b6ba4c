/**
 * `netrx-cluster` NatsConnectionState (4), the host's `cluster.nats`
 * connection changing state (audit16 A7), as the `nats` service of `netrx
 * up` emits it (src/node/host/nats-service.ts), with NatsConnectionError
 * (5) beside it. The connection is a stand-in whose state the test drives
 * (the module that makes the real one is replaced, nothing else); a session
 * listens at Warning with the Connection keyword, and, to show the level
 * matters, another at Critical hears nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import type {
  NatsConnectionState,
  NatsConnectionStatus,
} from '../../src/node/cluster/connection-settings.js';
import { CLUSTER_PROVIDER, ClusterKeyword } from '../../src/node/cluster/index.js';
import type { HostContext } from '../../src/node/host/host-types.js';
import { natsService } from '../../src/node/host/nats-service.js';
import { validateHostConfig } from '../../src/node/host/config.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceLevel, TraceRegistry } from '../../src/trace/index.js';
import { collect } from './support/collect.js';

const driven = vi.hoisted(() => {
  const stateListeners = new Set<(state: string) => void>();
  const errorListeners = new Set<(error: string) => void>();
  const status = { state: 'connected', server: '127.0.0.1:4222', errors: 0 };
  return { stateListeners, errorListeners, status };
});

vi.mock('../../src/node/cluster/connection.js', () => ({
  connectNats: () =>
    Promise.resolve({
      status: (): NatsConnectionStatus => ({
        state: driven.status.state as NatsConnectionState,
        server: driven.status.server,
        serverVersion: '2.9.10',
        auth: 'none',
        tls: false,
        disconnects: 0,
        reconnects: 0,
        errors: driven.status.errors,
        lastError: '',
        everConnected: true,
        sinceMs: 0,
      }),
      onState: (listener: (state: string) => void) => {
        driven.stateListeners.add(listener);
        return () => driven.stateListeners.delete(listener);
      },
      onError: (listener: (error: string) => void) => {
        driven.errorListeners.add(listener);
        return () => driven.errorListeners.delete(listener);
      },
      close: () => Promise.resolve(),
    }),
}));

function become(state: NatsConnectionState, server = driven.status.server): void {
  driven.status.state = state;
  driven.status.server = server;
  for (const listener of driven.stateListeners) listener(state);
}

describe('netrx-cluster: the host connection (nats service)', () => {
  it('NatsConnectionState: server (host:port), state, at each change; NatsConnectionError beside it', async () => {
    const clock = new VirtualClock();
    const trace = new TraceRegistry({ clock });
    const log: string[] = [];
    const context = {
      clock,
      trace,
      log: (line: string) => log.push(line),
    } as unknown as HostContext;
    const config = validateHostConfig({
      cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } },
    });
    const seen = collect(trace, CLUSTER_PROVIDER.name, {
      level: TraceLevel.Warning,
      matchAnyKeyword: ClusterKeyword.Connection,
    });
    const critical = collect(trace, CLUSTER_PROVIDER.name, {
      level: TraceLevel.Critical,
      matchAnyKeyword: ClusterKeyword.Connection,
    });
    const service = natsService(config.cluster.nats);
    await service.start(context);
    try {
      become('reconnecting');
      become('connected', '127.0.0.1:4223');
      driven.status.errors = 1;
      for (const listener of driven.errorListeners) listener('Authorization Violation');
      become('closed', '127.0.0.1:4223');
    } finally {
      await service.stop();
    }
    expect(seen.named('NatsConnectionState')).toEqual([
      { server: '127.0.0.1:4222', state: 'reconnecting' },
      { server: '127.0.0.1:4223', state: 'connected' },
      { server: '127.0.0.1:4223', state: 'closed' },
    ]);
    expect(seen.events.find((e) => e.name === 'NatsConnectionState')).toMatchObject({
      id: 4,
      level: TraceLevel.Warning,
      keywords: ClusterKeyword.Connection,
    });
    expect(seen.named('NatsConnectionError')).toEqual([
      { server: '127.0.0.1:4223', errors: 1n, error: 'Authorization Violation' },
    ]);
    // A Warning and an Error event: a session at Critical hears neither.
    expect(critical.events).toEqual([]);
    // The stop removed the listeners: a later change is not traced.
    become('reconnecting');
    expect(seen.named('NatsConnectionState')).toHaveLength(3);
  });
});
