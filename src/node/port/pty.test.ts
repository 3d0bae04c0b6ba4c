// `pty:COMMAND` through the optional @lydell/node-pty 1.1.0 (an
// optionalDependency that npm ci installs): real interactive programs on a
// pseudo-terminal, driven by chat scripts. Under CI=true a missing package
// fails these tests instead of skipping them.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Port, parseChatArgs, runChat, type ChatResult } from '../../port/index.js';
import { systemClock } from '../runtime/index.js';
import { loadNodePty, openPty, PTY_PACKAGE } from './pty.js';
import { openTransport } from './transports.js';

const available = await loadNodePty().then(
  () => true,
  () => false,
);
const hasPython = spawnSync('/usr/bin/python3', ['-c', '']).status === 0;
const inCi = process.env['CI'] === 'true';

async function chatOn(
  spec: string,
  words: string[],
): Promise<{ result: ChatResult; lines: string[]; port: Port }> {
  const port = new Port(await openTransport(spec), { clock: systemClock, name: spec });
  const lines: string[] = [];
  const result = await runChat(port, parseChatArgs(words), {
    clock: systemClock,
    verbose: true,
    toStderr: true,
    pacing: 'fast',
    timeoutSeconds: 5,
    output: { log: (line) => lines.push(line), stderr: () => {}, report: () => {} },
  });
  return { result, lines, port };
}

describe.skipIf(!available && !inCi)(`pty: ports (${PTY_PACKAGE} 1.1.0)`, () => {
  it('logs in to a program that reads from its terminal; the transcript has the echo', async () => {
    const { result, lines, port } = await chatOn(
      `pty:bash --norc -c 'read -p "login: " u; read -s -p "Password: " p; echo; echo "hi $u ($p)"; sleep 5'`,
      ['ogin:', 'joe', 'ssword:', '\\qsecret', 'hi joe (secret)', ''],
    );
    port.close();
    expect(result).toMatchObject({ exitCode: 0, disconnected: false });
    expect(lines).toEqual([
      'expect (ogin:)',
      'login:',
      ' -- got it\n',
      'send (joe^M)',
      'expect (ssword:)',
      // The terminal echoes the user name (cooked mode, echo on; the space is the
      // rest of the prompt) and `read -s` turns echo off for the password.
      ' joe^M',
      'Password:',
      ' -- got it\n',
      'send (??????)',
      'expect (hi joe (secret))',
      ' ^M',
      'hi joe (secret)',
      ' -- got it\n',
      'send (^M)',
    ]);
  });

  it.skipIf(!hasPython && !inCi)('drives python3 -i: prompts, a result, exit()', async () => {
    const { result, lines, port } = await chatOn('pty:/usr/bin/python3 -q -i', [
      '>>> ', 'print(6 * 7)', '42', '', '>>> ', 'exit()',
    ]); // prettier-ignore
    expect(result.exitCode).toBe(0);
    expect(lines).toContain('send (print(6 * 7)^M)');
    expect(lines.join('\n')).toMatch(/print\(6 \* 7\)\^M\n42/);
    // exit() ends the program: the port sees the line go away.
    for await (const chunk of port) void chunk;
    expect(port.disconnectError?.message).toBe('The program on the pty exited (code 0)');
    port.close();
  });

  it('the program exiting mid-script is a hang-up: chat exit 2, the exit code in the cause', async () => {
    const { result, port } = await chatOn(`pty:printf 'login: '; exit 3`, [
      'ogin:', 'joe', 'ssword:', 'x',
    ]); // prettier-ignore
    expect(result).toMatchObject({ exitCode: 2, disconnected: true, expect: 'ssword:' });
    expect(port.disconnectError?.code).toBe('ERROR_PORT_DISCONNECTED');
    expect(port.disconnectError?.message).toBe('The program on the pty exited (code 3)');
    port.close();
  });

  it('closing the port hangs up on the program (SIGHUP): it is gone', async () => {
    const transport = await openPty('sleep 30');
    const port = new Port(transport, { clock: systemClock });
    const pid = transport.pid;
    expect(() => process.kill(pid, 0)).not.toThrow();
    port.close();
    const deadline = performance.now() + 3000;
    let alive = true;
    while (alive && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});

describe('pty: without the optional package', () => {
  it('says which package to install (ERR_PORT_PTY_UNAVAILABLE)', async () => {
    const missing = () => Promise.reject(new Error(`Cannot find package '${PTY_PACKAGE}'`));
    const error = await openPty('true', { load: missing }).then(
      () => undefined,
      (thrown: unknown) => thrown as { code?: string; message?: string },
    );
    expect(error?.code).toBe('ERR_PORT_PTY_UNAVAILABLE');
    expect(error?.message).toContain(`npm install ${PTY_PACKAGE}@1.1.0`);
    await expect(openPty('true', { load: () => Promise.resolve({}) })).rejects.toMatchObject({
      code: 'ERR_PORT_PTY_UNAVAILABLE',
    });
  });

  it('refuses an empty command before loading anything', async () => {
    await expect(openTransport('pty:  ')).rejects.toMatchObject({ code: 'ERR_PORT_SPEC' });
  });
});
