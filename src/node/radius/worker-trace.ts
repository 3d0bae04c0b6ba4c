/**
 * Trace events from a RADIUS worker pool's threads (worker-pool.ts): the
 * receiving thread registers the RADIUS and EAP providers on its registry,
 * and every change of who listens to them is mirrored to each worker, which
 * forwards only the events that pass; those are written here again, on the
 * receiving thread's providers.
 */
import { EAP_PROVIDER } from '../../eap/index.js';
import { RADIUS_PROVIDER } from '../../radius/index.js';
import type { TraceProvider, TraceRegistry } from '../../trace/index.js';
import type { ForwardedEvent, TraceMirror } from './worker-protocol.js';

const MIRRORED = [RADIUS_PROVIDER, EAP_PROVIDER] as const;

export class WorkerTraceMirrors {
  private readonly providers = new Map<string, TraceProvider>();
  private readonly mirrors = new Map<string, TraceMirror>();
  private readonly unmirror: (() => void)[] = [];

  /** Registers the mirrored providers; `changed` sends each new enablement to every worker. */
  constructor(registry: TraceRegistry | undefined, changed: (mirror: TraceMirror) => void) {
    if (registry === undefined) return;
    for (const info of MIRRORED) {
      const provider = registry.register(info);
      this.providers.set(provider.guid, provider);
      this.unmirror.push(
        provider.onEnable((notification) => {
          const c = notification.combined;
          const mirror: TraceMirror = {
            guid: provider.guid,
            name: provider.name,
            enabled: c.enabled,
            level: c.level,
            matchAnyKeyword: c.matchAnyKeyword,
            matchAllKeyword: c.matchAllKeyword,
          };
          this.mirrors.set(provider.guid, mirror);
          changed(mirror);
        }),
      );
    }
  }

  /** The enablements so far, for a worker that just became ready. */
  current(): Iterable<TraceMirror> {
    return this.mirrors.values();
  }

  /** An event a worker forwarded, written on this thread's provider. */
  write(event: ForwardedEvent): void {
    this.providers.get(event.guid)?.write(event.descriptor, event.payload);
  }

  /** Stops following the providers' enablement. */
  close(): void {
    for (const off of this.unmirror.splice(0)) off();
  }
}
