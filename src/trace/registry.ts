import type { Clock } from '../runtime/index.js';
import { TraceProvider, type TraceListener, type TraceProviderInfo } from './provider.js';

export interface EnableOptions {
  /** Default 5 (verbose); 0 means every level. */
  readonly level?: number;
  /** Default 0, meaning any keyword. */
  readonly matchAnyKeyword?: bigint;
  readonly matchAllKeyword?: bigint;
  readonly filterData?: unknown;
}

/** A listener's hold on one provider (by GUID or name), live until `disable`. */
export interface TraceSubscription {
  readonly sessionId: number;
  /** Idempotent. */
  disable(): void;
}

interface Enablement {
  readonly sessionId: number;
  readonly target: string;
  readonly listener: TraceListener;
  readonly options: Required<Omit<EnableOptions, 'filterData'>> & { readonly filterData: unknown };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The providers of one process (or one host), and the listeners that enable
 * them. As in ETW, a listener may enable a provider before it registers: the
 * enablement waits and applies on registration. Timestamps come from the
 * registry's clock.
 */
export class TraceRegistry {
  private readonly clock: Clock;
  private readonly byGuid = new Map<string, TraceProvider>();
  private readonly enablements = new Map<number, Enablement>();
  private nextSessionId = 1;

  constructor(options: { readonly clock: Clock }) {
    this.clock = options.clock;
  }

  /**
   * Registers a provider, or returns the one already registered with this GUID
   * (several components may share one). Throws TypeError on a malformed GUID
   * and on one GUID registered under two names.
   */
  register(info: TraceProviderInfo): TraceProvider {
    const guid = info.guid.toLowerCase();
    if (!GUID.test(guid)) {
      throw new TypeError(
        `Provider GUID must look like 8-4-4-4-12 hex digits: got ${JSON.stringify(info.guid)}`,
      );
    }
    const existing = this.byGuid.get(guid);
    if (existing !== undefined) {
      if (existing.name !== info.name) {
        throw new TypeError(
          `Provider GUID ${guid} is registered as ${JSON.stringify(existing.name)}, not ${JSON.stringify(info.name)}`,
        );
      }
      return existing;
    }
    const provider = new TraceProvider({ guid, name: info.name }, () => this.clock.now());
    this.byGuid.set(guid, provider);
    for (const enablement of this.enablements.values()) {
      if (this.matches(provider, enablement.target)) this.attach(provider, enablement);
    }
    return provider;
  }

  /** Every registered provider. */
  providers(): readonly TraceProvider[] {
    return [...this.byGuid.values()];
  }

  /** The provider with this GUID or name, if registered. */
  find(target: string): TraceProvider | undefined {
    const wanted = target.toLowerCase();
    for (const provider of this.byGuid.values()) {
      if (this.matches(provider, wanted)) return provider;
    }
    return undefined;
  }

  /**
   * Starts delivering events of the provider named by `target` (GUID or name;
   * `*` for every provider, present and future) to `listener`.
   */
  enable(target: string, listener: TraceListener, options: EnableOptions = {}): TraceSubscription {
    const level = options.level ?? 5;
    if (!Number.isInteger(level) || level < 0 || level > 255) {
      throw new RangeError(`Trace level must be an integer from 0 to 255: got ${level}`);
    }
    const enablement: Enablement = {
      sessionId: this.nextSessionId++,
      target: target.toLowerCase(),
      listener,
      options: {
        level,
        matchAnyKeyword: options.matchAnyKeyword ?? 0n,
        matchAllKeyword: options.matchAllKeyword ?? 0n,
        filterData: options.filterData,
      },
    };
    this.enablements.set(enablement.sessionId, enablement);
    for (const provider of this.byGuid.values()) {
      if (this.matches(provider, enablement.target)) this.attach(provider, enablement);
    }
    return {
      sessionId: enablement.sessionId,
      disable: () => {
        if (!this.enablements.delete(enablement.sessionId)) return;
        for (const provider of this.byGuid.values()) provider.detach(enablement.sessionId);
      },
    };
  }

  private matches(provider: TraceProvider, target: string): boolean {
    return target === '*' || provider.guid === target || provider.name.toLowerCase() === target;
  }

  private attach(provider: TraceProvider, enablement: Enablement): void {
    provider.attach({
      sessionId: enablement.sessionId,
      listener: enablement.listener,
      ...enablement.options,
    });
  }
}
