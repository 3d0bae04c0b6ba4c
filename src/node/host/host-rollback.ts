/**
 * The rollback of a reload that failed after it stopped services (review
 * D1, H2): the old instances it stopped start again with the old
 * configuration, in start order; one that cannot come back is reported
 * (the host lists it as failed in /health). The wording says what was
 * restarted, since their connections and conversations did not survive.
 */
import type { HostService } from './host.js';

export interface RestoreHooks {
  readonly start: (service: HostService) => Promise<string>;
  readonly restored: (service: HostService, detail: string) => void;
  readonly lost: (service: HostService, error: Error) => void;
}

/** `running` as it is again: the kept instances and the restored ones, in order. */
export async function restoreStopped(
  running: readonly HostService[],
  stopped: readonly HostService[],
  hooks: RestoreHooks,
): Promise<HostService[]> {
  const restored: HostService[] = [];
  for (const service of running) {
    if (!stopped.includes(service)) {
      restored.push(service);
      continue;
    }
    try {
      const detail = await hooks.start(service);
      restored.push(service);
      hooks.restored(service, detail);
    } catch (error) {
      hooks.lost(service, error as Error);
    }
  }
  return restored;
}

/** What a rollback did, in words: `rolled back … (restarted: radius, websocket-echo)`. */
export function rolledBack(
  stopped: readonly HostService[],
  down: ReadonlyMap<string, string>,
): string {
  const back = stopped.filter((s) => !down.has(s.name)).map((s) => s.name);
  const lost = stopped.filter((s) => down.has(s.name)).map((s) => s.name);
  return [
    `rolled back to the running configuration (restarted: ${back.join(', ') || 'none'}`,
    lost.length === 0 ? ')' : `; could not be restored: ${lost.join(', ')})`,
  ].join('');
}
