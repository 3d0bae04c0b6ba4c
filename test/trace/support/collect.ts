/**
 * A trace session for the trace-event tests (audit16 A7): enables one
 * provider on a registry at a level and keyword mask, as a capture session
 * would, and keeps each event of the named ones decoded. The listener only
 * records: assertions are made on what it kept, after the code ran, so an
 * event that never comes fails the test (nothing is asserted inside a
 * callback the code under test could swallow).
 */
import { decodePayload, type TraceRegistry } from '../../../src/trace/index.js';

export interface SeenEvent {
  readonly name: string;
  readonly id: number;
  readonly level: number;
  readonly keywords: bigint;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface Collected {
  readonly events: SeenEvent[];
  /** The events named `name`, fields only. */
  named(name: string): Readonly<Record<string, unknown>>[];
  stop(): void;
}

export function collect(
  registry: TraceRegistry,
  provider: string,
  options: { readonly level: number; readonly matchAnyKeyword: bigint },
): Collected {
  const events: SeenEvent[] = [];
  const subscription = registry.enable(
    provider,
    (event) => {
      const decoded = decodePayload(event.descriptor.fields ?? [], event.payload);
      events.push({
        name: event.descriptor.name,
        id: event.descriptor.id,
        level: event.descriptor.level,
        keywords: event.descriptor.keywords,
        fields: decoded.ok ? { ...decoded.values } : { undecodable: decoded.reason },
      });
    },
    options,
  );
  return {
    events,
    named: (name) => events.filter((e) => e.name === name).map((e) => e.fields),
    stop: () => subscription.disable(),
  };
}
