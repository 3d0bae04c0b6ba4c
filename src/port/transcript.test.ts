// ScriptTranscript: a login script's dialogue on the port's trace provider,
// for chat and .scp, with the password taint respected (`\q` in chat, a
// value made from $password in .scp: `********`, the bytes never traced)
// and the text bounded.
import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair } from '../testing/index.js';
import { decodePayload, TraceRegistry } from '../trace/index.js';
import { runChat } from './chat/runner.js';
import { parseChatFile } from './chat/script.js';
import { PORT_PROVIDER, PortEventDescriptor } from './events.js';
import { parseScp, runScp } from './scp/index.js';
import { TRANSCRIPT_MAX_CHARS, traceTranscript } from './transcript.js';

const quiet = { log: () => undefined, stderr: () => undefined, report: () => undefined };

type Line = { step: string; text: string; bytes: number; truncated: boolean };

function harness(answers: Record<string, string>) {
  const clock = new VirtualClock(1_700_000_000_000);
  const trace = new TraceRegistry({ clock });
  const lines: Line[] = [];
  const raw: Uint8Array[] = [];
  trace.enable(
    PORT_PROVIDER.name,
    (event) => {
      if (event.descriptor.id !== PortEventDescriptor.transcript.id) return;
      raw.push(event.payload.slice());
      const decoded = decodePayload(PortEventDescriptor.transcript.fields ?? [], event.payload);
      if (!decoded.ok) throw new Error(decoded.reason);
      const v = decoded.values as unknown as Line & { port: string };
      expect(v.port).toBe('tty0');
      lines.push({ step: v.step, text: v.text, bytes: v.bytes, truncated: v.truncated });
    },
    { level: 5 },
  );
  const { port, peer } = createPortPair({ clock, trace, name: 'tty0' });
  let sent = '';
  peer.onWrite = (chunk) => {
    sent += String.fromCharCode(...chunk);
    for (const [trigger, answer] of Object.entries(answers)) {
      if (sent.endsWith(trigger)) {
        sent = '';
        peer.write(answer);
      }
    }
  };
  const settle = async (running: Promise<unknown>) => {
    let settled = false;
    void running.finally(() => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled && !clock.runNext()) await new Promise((resolve) => setImmediate(resolve));
    }
    return running;
  };
  return { clock, port, peer, lines, raw, settle };
}

const PASSWORD = 'hello^2u2-secret';
/** chat reads ^X as a control character: no caret here. */
const CHAT_PASSWORD = 'hello2u2-secret';

describe('ScriptTranscript', () => {
  it('chat: sends, waits, receives and matches; a \\q send is ********', async () => {
    const h = harness({ '\r': '' });
    h.peer.write('login: ');
    let written = '';
    h.peer.onWrite = (chunk) => {
      written += String.fromCharCode(...chunk);
      if (written.endsWith('ppp\r')) h.peer.write('Password:');
      else if (written.endsWith(`${CHAT_PASSWORD}\r`)) h.peer.write('$ ');
    };
    const script = parseChatFile(`TIMEOUT 5\nogin: ppp\nssword: \\q${CHAT_PASSWORD}\n'$ ' ''\n`);
    const result = await h.settle(
      runChat(h.port, script, { clock: h.clock, pacing: 'fast', output: quiet }),
    );
    const steps = h.lines.map((l) => `${l.step} ${l.text}`);
    expect((result as { exitCode: number }).exitCode).toBe(0);
    expect(steps).toContain('expect ogin:');
    expect(steps).toContain('received login: ');
    expect(steps).toContain('received Password:');
    expect(steps).toContain('matched ogin:');
    expect(steps).toContain('send ppp^M');
    expect(steps).toContain('send ********');
    expect(steps).toContain('matched $ ');
    for (const bytes of h.raw)
      expect(new TextDecoder().decode(bytes)).not.toContain(CHAT_PASSWORD.slice(0, 8));
  });

  it('chat: a wait that times out says so', async () => {
    const h = harness({});
    const script = parseChatFile(`TIMEOUT 1\nnever ''\n`);
    const result = await h.settle(
      runChat(h.port, script, { clock: h.clock, pacing: 'fast', output: quiet }),
    );
    expect((result as { exitCode: number }).exitCode).toBe(3);
    expect(h.lines.at(-1)).toMatchObject({ step: 'timeout', text: 'never' });
  });

  it('.scp: a transmit made from $password (even through a variable) is ********', async () => {
    const h = harness({});
    h.peer.onWrite = (chunk) => {
      const text = String.fromCharCode(...chunk);
      if (text.startsWith('ppp')) h.peer.write('Password:');
    };
    const parsed = parseScp(
      `proc main\n string pw = $password\n waitfor "ogin:"\n transmit $userid + "^M"\n waitfor "word:"\n transmit pw + "^M"\nendproc\n`,
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    h.peer.write('login:');
    const result = await h.settle(
      runScp(h.port, parsed.program, {
        clock: h.clock,
        dialParams: { userName: 'ppp', password: PASSWORD },
      }),
    );
    expect((result as { outcome: string }).outcome).toBe('done');
    const steps = h.lines.map((l) => `${l.step} ${l.text}`);
    expect(steps).toEqual([
      'expect ogin:',
      'received login:',
      'matched ogin:',
      'send ppp^M',
      'expect word:',
      'received Password:',
      'matched word:',
      'send ********',
    ]);
    expect(h.lines.at(-1)?.bytes).toBe(PASSWORD.length + 1);
    for (const bytes of h.raw)
      expect(new TextDecoder().decode(bytes)).not.toContain(PASSWORD.slice(0, 8));
  });

  it(`cuts text at ${TRANSCRIPT_MAX_CHARS} characters, escapes included, and says so`, () => {
    const h = harness({});
    traceTranscript(h.port, 'received', 'x'.repeat(1000));
    traceTranscript(h.port, 'received', '\x01'.repeat(100));
    traceTranscript(h.port, 'received', 'short');
    expect(h.lines.map((l) => [l.text.length, l.bytes, l.truncated])).toEqual([
      [TRANSCRIPT_MAX_CHARS, 1000, true],
      [TRANSCRIPT_MAX_CHARS, 100, true],
      [5, 5, false],
    ]);
    expect(h.lines[1]?.text.startsWith('^A^A')).toBe(true);
  });

  it('emits nothing while no session listens', () => {
    const clock = new VirtualClock(0);
    const trace = new TraceRegistry({ clock });
    const { port } = createPortPair({ clock, trace, name: 'tty0' });
    traceTranscript(port, 'send', 'x');
    expect(port.trace?.written).toBe(0);
  });
});
