import { describe, expect, it } from 'vitest';
import { VirtualClock, createPortPair, type PortPeer } from '../../testing/index.js';
import { customScriptExecute } from '../custom-script.js';
import { scpCustomScript } from './custom.js';
import { runScp, type ScpOptions, type ScpResult } from './interpreter.js';
import { parseScp } from './parser.js';

interface Run {
  readonly result: ScpResult;
  readonly logs: string[];
  readonly peer: PortPeer;
  readonly elapsed: number;
}

/**
 * Runs a script against a scripted peer on a virtual clock: `answers` maps
 * what the port sent (a suffix) to what the peer writes back.
 */
async function scp(
  source: string,
  peerScript: {
    greeting?: string;
    answers?: Record<string, string | ((peer: PortPeer) => void)>;
  } = {},
  options: Partial<ScpOptions> = {},
): Promise<Run> {
  const parsed = parseScp(source);
  expect(parsed.errors).toEqual([]);
  if (!parsed.ok) throw new Error('unreachable');
  const clock = new VirtualClock(1_700_000_000_000);
  const { port, peer } = createPortPair({ clock });
  const logs: string[] = [];
  let sent = '';
  peer.onWrite = (chunk) => {
    sent += String.fromCharCode(...chunk);
    for (const [trigger, answer] of Object.entries(peerScript.answers ?? {})) {
      if (sent.endsWith(trigger)) {
        sent = '';
        if (typeof answer === 'string') peer.write(answer);
        else answer(peer);
      }
    }
  };
  const running = runScp(port, parsed.program, {
    clock,
    dialParams: { userName: 'ppp', password: 'hello^2u2' },
    log: (line) => logs.push(line),
    ...options,
  });
  if (peerScript.greeting !== undefined) peer.write(peerScript.greeting);
  let settled = false;
  void running.finally(() => (settled = true));
  const start = clock.now();
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled && !clock.runNext()) await new Promise((resolve) => setImmediate(resolve));
  }
  return { result: await running, logs, peer, elapsed: clock.now() - start };
}

const LOGIN = `
proc main
  waitfor "ogin:" until 10
  if $FAILURE then
    halt
  endif
  transmit $USERID + "^M"
  waitfor "ssword:" until 10
  transmit $PASSWORD, raw
  transmit "<cr>"
  waitfor "$ " then shell, "incorrect" then refused until 10
  halt
shell:
  transmit "exit^M"
  goto done
refused:
  delay 1
  halt
done:
endproc
`;

describe('runScp: the login dialogue', () => {
  it('logs in: $USERID and a raw $PASSWORD (its ^2 untranslated), endproc is success', async () => {
    const run = await scp(LOGIN, {
      greeting: 'Welcome\r\nLOGIN: ',
      answers: {
        'ppp\r': '\r\nPassword: ',
        'hello^2u2\r': '\r\nLogged in\r\n$ ',
      },
    });
    expect(run.result).toMatchObject({ outcome: 'done', error: 0 });
    expect(run.peer.writes).toEqual(['ppp\r', 'hello^2u2', '\r', 'exit\r']);
    expect(run.logs).toContain('transmit (??????)');
    expect(run.logs).toContain('transmit (ppp^M)');
    expect(run.logs).toContain('waitfor ($  | incorrect) until 10');
  });

  it('waitfor … then: the branch whose string ends first in the stream wins', async () => {
    const run = await scp(LOGIN, {
      greeting: 'login: ',
      answers: { 'ppp\r': 'Password: ', '\r': 'Login incorrect\r\n$ ' },
    });
    expect(run.result).toMatchObject({ outcome: 'halted', error: 703 });
    expect(run.elapsed).toBe(1000);
  });

  it('waitfor until: a silent peer times out, $SUCCESS is FALSE, and the script goes on', async () => {
    const run = await scp(LOGIN);
    expect(run.result).toMatchObject({ outcome: 'halted', error: 703, at: { line: 5 } });
    expect(run.elapsed).toBe(10_000);
    expect(run.logs).toContain(' -- timed out');
  });

  it('a hang-up while waiting fails with the disconnect cause (619)', async () => {
    const run = await scp(LOGIN, {
      greeting: 'login: ',
      answers: { 'ppp\r': (peer) => peer.hangUp() },
    });
    expect(run.result).toMatchObject({ outcome: 'failed', error: 619, at: { line: 8 } });
  });
});

describe('runScp: commands', () => {
  it('waitfor is case-insensitive unless matchcase; bytes after a match stay for the next waitfor', async () => {
    const run = await scp('proc main\nwaitfor "ABC", matchcase until 1\nendproc', {
      greeting: 'abc',
    });
    expect(run.logs.at(-1)).toBe(' -- timed out');
    const folded = await scp('proc main\nwaitfor "ABC"\nwaitfor "xyz" until 0\nendproc', {
      greeting: 'abcXYZ',
    });
    expect(folded.result.outcome).toBe('done');
    expect(folded.logs.filter((l) => l === ' -- got it')).toHaveLength(2);
  });

  it('stripAnsi: waitfor matches through colour and bracketed-paste sequences; the log keeps them', async () => {
    const source = 'proc main\nwaitfor "login: joe" until 1\nendproc';
    const greeting = '\x1b[1mlogin:\x1b[0m \x1b[?2004hjoe';
    const plain = await scp(source, { greeting });
    expect(plain.logs).toContain(' -- timed out');
    const stripped = await scp(source, { greeting }, { stripAnsi: true });
    expect(stripped.logs).toContain(' -- got it');
    expect(stripped.logs).toContain('^[[1mlogin:^[[0m ^[[?2004hjoe');
  });

  it('waitfor without until waits as long as it takes', async () => {
    const parsed = parseScp('proc main\nwaitfor "go"\nendproc');
    if (!parsed.ok) throw new Error('parse');
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    let settled = false;
    const running = runScp(port, parsed.program, { clock }).finally(() => (settled = true));
    clock.advance(24 * 3600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    peer.write('let us go');
    expect(await running).toMatchObject({ outcome: 'done' });
  });

  it('variables, expressions, while and if; integers wrap at 32 bits', async () => {
    const run = await scp(
      `proc main
  integer i = 0
  integer big = 2147483647
  string s = ""
  while i < 3 do
    s = s + "x"
    i = i + 1
  endwhile
  big = big + 1
  if s == "xxx" and big < 0 and 7 / 2 == 3 and -i == 0 - 3 and !(1 > 2) then
    transmit s
  else
    transmit "wrong"
  endif
endproc`,
    );
    expect(run.result.outcome).toBe('done');
    expect(run.peer.writes).toEqual(['xxx']);
  });

  it('procedures: a name alone calls it, with its own variables; goto jumps within a procedure', async () => {
    const run = await scp(`proc main
  integer n = 1
  greet
  greet
  goto skip
  transmit "never"
skip:
endproc
proc greet
  integer n = 5
  n = n + 1
  transmit "hi"
endproc`);
    expect(run.peer.writes).toEqual(['hi', 'hi']);
  });

  it('delay waits whole seconds on the clock', async () => {
    const run = await scp('proc main\ninteger x = 2\ndelay x * 3\ndelay -4\nendproc');
    expect(run.elapsed).toBe(6000);
  });

  it('getip: the n-th address received; set ipaddr records it', async () => {
    const seen: string[] = [];
    const run = await scp(
      'proc main\nset ipaddr getip 2\nendproc',
      { greeting: 'Your address is 300.1.1.1 10.0.0.1, gateway 10.0.0.254.\r\n' },
      { onIpAddress: (address) => seen.push(address) },
    );
    expect(run.result).toMatchObject({ outcome: 'done', ipAddress: '10.0.0.254' });
    expect(seen).toEqual(['10.0.0.254']);
    const bad = await scp('proc main\nset ipaddr "10.0.0"\nendproc');
    expect(bad.result).toMatchObject({ outcome: 'failed', error: 87, at: { line: 2 } });
  });

  it('set port: databits, parity and stopbits reach the line; a refusal sets $SUCCESS to FALSE', async () => {
    const run = await scp(`proc main
  set port databits 7
  set port parity even
  set port stopbits 2
  if $SUCCESS then
    transmit "ok"
  endif
  set screen keyboard on
endproc`);
    expect(run.peer.commSettings).toEqual([
      { parity: 0, stopBits: 0, byteSize: 7 },
      { parity: 2, stopBits: 0, byteSize: 7 },
      { parity: 2, stopBits: 2, byteSize: 7 },
    ]);
    expect(run.peer.writes).toEqual(['ok']);
    const refused = await scp(
      'proc main\nset port parity odd\nif $FAILURE then\ntransmit "no"\nendif\nendproc',
      {},
      {
        setCommSettings: () => 87,
      },
    );
    expect(refused.peer.writes).toEqual(['no']);
    expect(refused.logs).toContain('set port parity odd -- refused (87)');
  });

  it('runtime errors fail with 87 and where: division by zero, databits out of range', async () => {
    const zero = await scp('proc main\ninteger z = 0\ninteger x\nx = 1 / z\nendproc');
    expect(zero.result).toMatchObject({
      outcome: 'failed',
      error: 87,
      message: 'division by zero',
      at: { line: 4 },
    });
    const bits = await scp('proc main\ninteger b = 9\nset port databits b\nendproc');
    expect(bits.result).toMatchObject({ outcome: 'failed', error: 87, at: { line: 3 } });
  });

  it('a runaway loop is stopped after maxSteps, yielding to the clock on the way', async () => {
    const run = await scp('proc main\nloop:\ngoto loop\nendproc', {}, { maxSteps: 5000 });
    expect(run.result).toMatchObject({ outcome: 'failed', error: 87 });
    expect(run.result.message).toMatch(/stopped after 5000 instructions/);
  });

  it('a string doubled in a loop stops at the string bound', async () => {
    const run = await scp('proc main\nstring s = "x"\nwhile TRUE do\ns = s + s\nendwhile\nendproc');
    expect(run.result.message).toMatch(/a string longer than 65536 characters/);
  });

  it('the signal stops a waiting script with 631', async () => {
    const stop = new AbortController();
    const run = await scp(
      'proc main\nwaitfor "never"\nendproc',
      { answers: {} },
      { signal: stop.signal, log: () => stop.abort('SIGTERM') },
    );
    expect(run.result).toMatchObject({ outcome: 'failed', error: 631 });
  });
});

describe('scpCustomScript: the script as RasCustomScriptExecute', () => {
  it('credentials from the dial parameters, set port through RASCUSTOMSCRIPTEXTENSIONS, DWORD result', async () => {
    const parsed = parseScp(
      'proc main\ntransmit $USERID + ":" + $PASSWORD\nset port databits 7\nendproc',
    );
    if (!parsed.ok) throw new Error('parse');
    const clock = new VirtualClock();
    const { port, peer } = createPortPair({ clock });
    const results: number[] = [];
    const result = await customScriptExecute(
      port,
      { entryName: 'isp' },
      scpCustomScript(port, parsed.program, { clock, onResult: (r) => results.push(r.error) }),
      {
        entryName: 'isp',
        phoneNumber: '',
        callbackNumber: '',
        userName: 'joe',
        password: 'pw',
        domain: '',
      },
    );
    expect(result.error).toBe(0);
    expect(results).toEqual([0]);
    expect(peer.writes).toEqual(['joe:pw']);
    expect(port.commSettings.byteSize).toBe(7);
  });
});

describe('runScp: $PASSWORD stays out of the log when it is copied', () => {
  it('a variable holding $password (or made from it) is masked in transmit; overwriting it clears that', async () => {
    const run = await scp(`proc main
  string p = $password
  string q
  transmit p
  q = "x" + p
  transmit q
  p = "public"
  transmit p
  transmit $userid
endproc
`);
    expect(run.result).toMatchObject({ outcome: 'done', error: 0 });
    expect(run.peer.writes).toEqual(['hello^2u2', 'xhello^2u2', 'public', 'ppp']);
    expect(run.logs.filter((line) => line.startsWith('transmit'))).toEqual([
      'transmit (??????)',
      'transmit (??????)',
      'transmit (public)',
      'transmit (ppp)',
    ]);
    expect(run.logs.join('\n')).not.toContain('hello');
  });
});
