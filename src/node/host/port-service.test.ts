import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PORT_PROVIDER } from '../../port/index.js';
import { startFixture, type Fixture } from '../../../test/interop/support/chat-fixture.js';
import { defaultHostConfig, validateHostConfig, type HostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { portService } from './port-service.js';
import { loadNodePty } from '../port/pty.js';

const ptyAvailable = await loadNodePty().then(
  () => true,
  () => false,
);

const hosts: RunningHost[] = [];
const fixtures: Fixture[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  await Promise.all(fixtures.splice(0).map((f) => f.close()));
});

const dir = mkdtempSync(join(tmpdir(), 'netrx-port-service-'));
const LOGIN = ['ogin:', '$USER', 'ssword:', '\\q$PASSWORD', '$ ', 'exit'];

function configWith(ports: unknown[]): HostConfig {
  return validateHostConfig({
    http: { port: 0 },
    websocket: { echo: { enabled: false } },
    ports,
  });
}

interface PortHealth {
  name: string;
  port: string;
  script: string;
  state: string;
  code?: number;
  outcome?: string;
  message?: string;
  abortString?: string;
}

async function portHealth(host: RunningHost, name: string): Promise<PortHealth | undefined> {
  const health = (await (await fetch(new URL('/health', host.url))).json()) as {
    services: PortHealth[];
  };
  return health.services.find((s) => s.name === `port:${name}`);
}

/** Starts a host with one port service and waits for its script to end. */
async function runPort(
  entry: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<{ host: RunningHost; events: string[]; lines: string[]; health: PortHealth }> {
  const config = configWith([entry]);
  const service = portService(config.ports[0] as HostConfig['ports'][number], (n) => env[n]);
  const lines: string[] = [];
  const host = await startHost(config, {
    version: '0',
    services: [service],
    log: (l) => lines.push(l),
  });
  hosts.push(host);
  const events: string[] = [];
  host.trace.enable(PORT_PROVIDER.guid, (e) => events.push(e.descriptor.name), { level: 5 });
  await service.finished();
  const health = await portHealth(host, entry['name'] as string);
  if (health === undefined) throw new Error('the port is not in /health');
  return { host, events, lines, health };
}

async function fixture(mode: Parameters<typeof startFixture>[0]): Promise<number> {
  const f = await startFixture(mode);
  fixtures.push(f);
  return f.port;
}

describe('netrx up: ports with login scripts', () => {
  it('logs in with chat words at start: $USER, $PASSWORD from the environment, a literal "$ "', async () => {
    const tcp = await fixture('ok');
    const { events, lines, health } = await runPort(
      {
        name: 'console',
        port: `tcp:127.0.0.1:${tcp}`,
        script: { chat: LOGIN },
        user: 'ppp',
        passwordEnv: 'CONSOLE_PASSWORD',
        verbose: true,
      },
      { CONSOLE_PASSWORD: 'hello2u2' },
    );
    expect(health).toMatchObject({
      port: `tcp:127.0.0.1:${tcp}`,
      script: 'chat',
      state: 'done',
      code: 0,
    });
    // The dialogue itself is ScriptTranscript events (Verbose), between open and finish.
    expect(events.filter((e) => e !== 'ScriptTranscript')).toEqual([
      'PortOpened',
      'ScriptFinished',
      'PortClosed',
    ]);
    expect(events.filter((e) => e === 'ScriptTranscript').length).toBeGreaterThan(4);
    expect(lines).toContain('port:console: send (ppp^M)');
    // \q hides the password in the -v lines.
    expect(lines).toContain('port:console: send (??????)');
    expect(lines.join('\n')).not.toContain('hello2u2');
    expect(lines.at(-1)).toBe('port:console: done (exit 0)');
  });

  it('reads a chat file and reports an ABORT with chat exit 4 + n', async () => {
    const tcp = await fixture('busy');
    const file = join(dir, 'busy.chat');
    writeFileSync(file, "ABORT BUSY\n'' ATZ\nOK ATDT123\nCONNECT ''\n");
    const { health } = await runPort({
      name: 'modem',
      port: `tcp:127.0.0.1:${tcp}`,
      script: { chat: file },
    });
    expect(health).toMatchObject({ state: 'failed', code: 4, abortString: 'BUSY' });
  });

  it('runs a .scp file with $USERID and $PASSWORD', async () => {
    const tcp = await fixture('ok');
    const file = join(dir, 'login.scp');
    writeFileSync(
      file,
      'proc main\n  waitfor "ogin:" until 5\n  transmit $USERID + "^M"\n  waitfor "ssword:" until 5\n' +
        '  transmit $PASSWORD, raw\n  transmit "^M"\n  waitfor "Logged in" until 5\n' +
        '  if $FAILURE then\n    halt\n  endif\nendproc\n',
    );
    const { events, health } = await runPort(
      {
        name: 'scp',
        port: `tcp:127.0.0.1:${tcp}`,
        script: { scp: file },
        user: 'ppp',
        passwordEnv: 'P',
      },
      { P: 'hello2u2' },
    );
    expect(health).toMatchObject({ script: 'scp', state: 'done', code: 0, outcome: 'done' });
    expect(events).toContain('ScpFinished');
  });

  it('a line that cannot be opened is the port state, not a host failure', async () => {
    const tcp = await fixture('ok');
    await fixtures.pop()?.close();
    const { host, health } = await runPort({
      name: 'gone',
      port: `tcp:127.0.0.1:${tcp}`,
      script: { chat: ['ogin:', 'x'] },
    });
    expect(health.state).toBe('failed');
    expect(health.message).toMatch(/Cannot connect to 127\.0\.0\.1:\d+/);
    expect(host.started.map((s) => s.name)).toContain('port:gone');
  });

  it('timeoutSeconds bounds a script whose peer never answers (chat exit 2, the reason logged)', async () => {
    const tcp = await fixture('silent');
    const started = performance.now();
    const { health, lines } = await runPort({
      name: 'silent',
      port: `tcp:127.0.0.1:${tcp}`,
      script: { chat: ['TIMEOUT', '30', 'ogin:', 'x'] },
      timeoutSeconds: 1,
      verbose: true,
    });
    expect(health).toMatchObject({ state: 'failed', code: 2 });
    expect(lines).toContain('port:silent: timeoutSeconds 1');
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stopping the host ends a running script at once', async () => {
    const tcp = await fixture('silent');
    const config = configWith([
      { name: 'slow', port: `tcp:127.0.0.1:${tcp}`, script: { chat: ['ogin:', 'x'] } },
    ]);
    const service = portService(config.ports[0] as HostConfig['ports'][number]);
    const host = await startHost(config, { version: '0', services: [service], log: () => {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await portHealth(host, 'slow'))?.state).toBe('running');
    const started = performance.now();
    await host.stop();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a password variable that is not set, or a script that does not parse, stops the host from starting', async () => {
    const config = configWith([
      { name: 'a', port: 'tcp:127.0.0.1:9', script: { chat: ['x'] }, passwordEnv: 'NOPE' },
    ]);
    await expect(
      startHost(config, {
        version: '0',
        services: [portService(config.ports[0] as HostConfig['ports'][number], () => undefined)],
      }),
    ).rejects.toThrow('port a: environment variable NOPE (passwordEnv) is not set');
    const bad = join(dir, 'bad.scp');
    writeFileSync(bad, 'proc main\n  transmit\nendproc\n');
    const scp = configWith([{ name: 'b', port: 'tcp:127.0.0.1:9', script: { scp: bad } }]);
    await expect(
      startHost(scp, {
        version: '0',
        services: [portService(scp.ports[0] as HostConfig['ports'][number])],
      }),
    ).rejects.toThrow(`port b: ${bad}:3:1: expected a value, found "endproc"`);
  });

  it('telnet, stripAnsi and pager reach the chat engine', async () => {
    const received: number[] = [];
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(Buffer.from([255, 253, 1]));
      socket.write('\x1b[1mlog\x1b[0min: ');
      socket.on('data', (chunk: Buffer) => {
        received.push(...chunk);
        if (chunk.includes('ppp\r')) socket.write('motd\r\n--More--');
        if (chunk.includes(' ')) socket.write('\r\nRouter# ');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fixtures.push({
      port: 0,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    });
    const address = server.address();
    const tcp = typeof address === 'object' && address !== null ? address.port : 0;
    const { health } = await runPort({
      name: 'router',
      port: `tcp:127.0.0.1:${tcp}`,
      script: { chat: ['login:', '$USER', 'Router#', '\\c'] },
      user: 'ppp',
      telnet: true,
      stripAnsi: true,
      pager: true,
    });
    expect(health).toMatchObject({ state: 'done', code: 0 });
    expect(received).toEqual([255, 252, 1, ...Buffer.from('ppp\r'), 0x20]);
  });

  it('several ports in one configuration run side by side, each with its own state in /health', async () => {
    const [ok, busy, silent] = await Promise.all([
      fixture('ok'),
      fixture('busy'),
      fixture('silent'),
    ]);
    const config = configWith([
      { name: 'a', port: `tcp:127.0.0.1:${ok}`, script: { chat: LOGIN }, user: 'ppp', passwordEnv: 'P' },
      { name: 'b', port: `tcp:127.0.0.1:${busy}`, script: { chat: ['ABORT', 'BUSY', '', 'ATZ', 'OK', 'ATDT1', 'CONNECT', ''] } },
      { name: 'c', port: `tcp:127.0.0.1:${silent}`, script: { chat: ['TIMEOUT', '1', 'ogin:', 'x'] } },
      { name: 'd', port: `tcp:127.0.0.1:${ok}`, script: { chat: LOGIN }, user: 'ppp', passwordEnv: 'P' },
    ]); // prettier-ignore
    expect(config.ports.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd']);
    const services = config.ports.map((p) =>
      portService(p, (n) => (n === 'P' ? 'hello2u2' : undefined)),
    );
    const started = performance.now();
    const host = await startHost(config, { version: '0', services, log: () => {} });
    hosts.push(host);
    await Promise.all(services.map((s) => s.finished()));
    // The silent port's 1 s timeout runs beside the two logins and the BUSY modem, not after them.
    expect(performance.now() - started).toBeLessThan(2900);
    const states = await Promise.all(['a', 'b', 'c', 'd'].map((n) => portHealth(host, n)));
    expect(states.map((h) => [h?.name, h?.state, h?.code])).toEqual([
      ['port:a', 'done', 0],
      ['port:b', 'failed', 4],
      ['port:c', 'failed', 3],
      ['port:d', 'done', 0],
    ]);
    expect(states[1]?.abortString).toBe('BUSY');
  });

  it.skipIf(!ptyAvailable && process.env['CI'] !== 'true')(
    'a pty: port logs in to a program that wants a terminal',
    async () => {
      const { health } = await runPort(
        {
          name: 'pty',
          port: `pty:bash --norc -c 'read -p "login: " u; read -s -p "Password: " p; [ "$p" = hello2u2 ] && echo "hi $u"; sleep 5'`,
          script: { chat: ['ogin:', '$USER', 'ssword:', '\\q$PASSWORD', 'hi ppp', ''] },
          user: 'ppp',
          passwordEnv: 'P',
        },
        { P: 'hello2u2' },
      );
      expect(health).toMatchObject({ script: 'chat', state: 'done', code: 0 });
    },
  );

  it('has no ports by default', () => {
    expect(defaultHostConfig().ports).toEqual([]);
  });
});
