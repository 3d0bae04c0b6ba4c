/**
 * What a configuration reload (SIGHUP) changes: which running services stay
 * untouched, which take the new configuration in place, which restart,
 * which stop and which start. A service stays when the new configuration
 * asks for one of the same name and fingerprint (its configuration section)
 * and nothing it depends on restarts; its connections and sessions survive
 * the reload. A service whose section changed but that can apply the change
 * itself (`updateInPlace`: the capture service adding or replacing one
 * session) is updated, not restarted, so what the change does not touch
 * (the other sessions, their connected tails) survives too.
 */
import type { HostService } from './host.js';

export interface ReloadResult {
  readonly ok: boolean;
  /** Why nothing was applied (the running configuration was kept). */
  readonly error?: string;
  readonly kept: readonly string[];
  /** Running services that took their new configuration in place (no restart). */
  readonly updated: readonly string[];
  readonly restarted: readonly string[];
  readonly stopped: readonly string[];
  readonly started: readonly string[];
  /** Services that failed to start again (left stopped), with the reason. */
  readonly failed: readonly { readonly name: string; readonly error: string }[];
}

export interface ReloadPlan {
  /** The running instances to stop (changed or removed). */
  readonly toStop: readonly HostService[];
  /** The running instances that stay (updated ones included). */
  readonly keep: readonly HostService[];
  /**
   * The in-place changes by service name, applied once every restarted
   * service is up (so a reload rolled back has nothing of them to undo).
   */
  readonly updates: readonly (readonly [string, () => void | Promise<void>])[];
  /** The services to run after the reload, in start order: kept instances and new ones. */
  readonly next: readonly HostService[];
  readonly result: Omit<ReloadResult, 'ok' | 'failed' | 'error'>;
}

export function planReload(
  running: readonly HostService[],
  wanted: readonly HostService[],
): ReloadPlan {
  const byName = new Map(running.map((s) => [s.name, s]));
  const same = (old: HostService | undefined, service: HostService) =>
    old !== undefined &&
    (old === service || (old.fingerprint !== undefined && old.fingerprint === service.fingerprint));
  const changed = new Set<string>();
  const updates = new Map<string, () => void | Promise<void>>();
  for (const service of wanted) {
    const old = byName.get(service.name);
    if (same(old, service)) continue;
    const update = old === undefined ? undefined : old.updateInPlace?.(service);
    if (update === undefined) changed.add(service.name);
    else updates.set(service.name, update);
  }
  const wantedNames = new Set(wanted.map((s) => s.name));
  for (const service of running) if (!wantedNames.has(service.name)) changed.add(service.name);
  // A service restarts with what it depends on; an update in place is no restart.
  for (let grew = true; grew;) {
    grew = false;
    for (const service of wanted) {
      if (changed.has(service.name)) continue;
      if ((service.dependsOn ?? []).some((name) => changed.has(name))) {
        changed.add(service.name);
        updates.delete(service.name);
        grew = true;
      }
    }
  }
  const keep: HostService[] = [];
  const next: HostService[] = [];
  for (const service of wanted) {
    const old = byName.get(service.name);
    if (old !== undefined && !changed.has(service.name)) {
      keep.push(old);
      next.push(old);
    } else next.push(service);
  }
  const toStop = running.filter((s) => !keep.includes(s));
  return {
    toStop,
    keep,
    updates: [...updates.entries()],
    next,
    result: {
      kept: keep.filter((s) => !updates.has(s.name)).map((s) => s.name),
      updated: [...updates.keys()],
      restarted: toStop.filter((s) => wantedNames.has(s.name)).map((s) => s.name),
      stopped: toStop.filter((s) => !wantedNames.has(s.name)).map((s) => s.name),
      started: wanted.filter((s) => !byName.has(s.name)).map((s) => s.name),
    },
  };
}

/**
 * Applies a plan's in-place changes in order; one that rejects changed
 * nothing of its service (HostService.updateInPlace) and is returned, the
 * others still apply.
 */
export async function applyUpdates(
  updates: ReloadPlan['updates'],
): Promise<{ readonly name: string; readonly error: string }[]> {
  const failed: { name: string; error: string }[] = [];
  for (const [name, update] of updates) {
    try {
      await update();
    } catch (error) {
      failed.push({ name, error: (error as Error).message });
    }
  }
  return failed;
}
