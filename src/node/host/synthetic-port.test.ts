// The synthetic login script (review M2): one chat script on an in-memory
// port pair against a fake login prompt, on a VirtualClock, writing the
// transcript and the result the dashboard's Ports panel shows.
import { describe, expect, it } from 'vitest';
import { PORT_PROVIDER, PortEventDescriptor } from '../../port/index.js';
import { VirtualClock } from '../../testing/index.js';
import { decodePayload, TraceRegistry } from '../../trace/index.js';
import { SYNTHETIC_PORT_NAME, runSyntheticLogin } from './synthetic-port.js';

function recorder() {
  const clock = new VirtualClock(1_700_000_000_000);
  const trace = new TraceRegistry({ clock });
  const events: { name: string; values: Record<string, unknown> }[] = [];
  trace.enable(
    PORT_PROVIDER.name,
    (event) => {
      const descriptor = Object.values(PortEventDescriptor).find(
        (d) => d.id === event.descriptor.id,
      );
      if (descriptor === undefined) return;
      const decoded = decodePayload(descriptor.fields ?? [], event.payload);
      events.push({
        name: descriptor.name,
        values: decoded.ok ? decoded.values : {},
      });
    },
    { level: 5 },
  );
  return { clock, trace, events };
}

describe('synthetic login script', () => {
  it('logs in as demo at the fake prompt: exit 0, with a transcript and ScriptFinished', async () => {
    const { clock, trace, events } = recorder();
    const result = await runSyntheticLogin(trace, clock);
    expect(result.exitCode).toBe(0);
    const transcript = events.filter((e) => e.name === 'ScriptTranscript');
    expect(transcript.length).toBeGreaterThanOrEqual(4);
    expect(transcript.every((e) => e.values['port'] === SYNTHETIC_PORT_NAME)).toBe(true);
    const texts = transcript.map((e) => String(e.values['text'])).join('\n');
    expect(texts).toContain('login:');
    expect(texts).toContain('Password:');
    const finished = events.find((e) => e.name === 'ScriptFinished');
    expect(finished?.values).toMatchObject({ port: SYNTHETIC_PORT_NAME, exitCode: 0 });
  });

  it('runs again and again, each round on a fresh pair (no state carried between rounds)', async () => {
    const { clock, trace, events } = recorder();
    for (let i = 0; i < 3; i++) expect((await runSyntheticLogin(trace, clock)).exitCode).toBe(0);
    expect(events.filter((e) => e.name === 'ScriptFinished')).toHaveLength(3);
  });

  it('an aborted round ends as chat ends on SIGTERM (exit 2)', async () => {
    const { clock, trace } = recorder();
    const abort = new AbortController();
    abort.abort('the host is stopping');
    expect((await runSyntheticLogin(trace, clock, abort.signal)).exitCode).toBe(2);
  });
});
