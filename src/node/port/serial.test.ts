import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Port, parseChatArgs, runChat } from '../../port/index.js';
import { systemClock } from '../runtime/index.js';
import { openSerial, sttyWords } from './serial.js';
import { openTransport } from './transports.js';

const hasSocat = spawnSync('sh', ['-c', 'command -v socat && command -v stty']).status === 0;
// As test/interop/support/peers.ts requirePeers: under CI a missing peer fails, never skips.
if (!hasSocat && process.env['CI'] === 'true') {
  throw new Error('serial.test.ts: socat or stty is missing under CI (apt-get install -y socat)');
}
const dir = mkdtempSync(join(tmpdir(), `netrx-serial-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGTERM');
});

let serial = 0;
/** Two ptys joined by socat: a fake serial cable (research §4). */
async function cable(): Promise<{ a: string; b: string; socat: ChildProcess }> {
  const a = join(dir, `ttyA${serial}`);
  const b = join(dir, `ttyB${serial++}`);
  const socat = spawn('socat', [`PTY,link=${a},rawer,echo=0`, `PTY,link=${b},rawer,echo=0`], {
    stdio: 'ignore',
  });
  started.push(socat);
  while (!existsSync(a) || !existsSync(b)) await new Promise((resolve) => setTimeout(resolve, 20));
  return { a, b, socat };
}

const quiet = { log: () => {}, stderr: () => {}, report: () => {} };

describe('stty words', () => {
  it('maps RASCOMMSETTINGS values to stty', () => {
    expect(sttyWords({ parity: 0, stopBits: 0, byteSize: 8 })).toEqual([
      'cs8',
      '-parenb',
      '-cstopb',
    ]);
    expect(sttyWords({ parity: 2, stopBits: 2, byteSize: 7 })).toEqual([
      'cs7',
      'parenb',
      '-parodd',
      '-cmspar',
      'cstopb',
    ]);
    expect(sttyWords({ parity: 3, stopBits: 0, byteSize: 8 })).toContain('cmspar');
  });
});

describe.skipIf(!hasSocat)('serial transport over a socat pty pair', () => {
  it('runs a chat script across the cable; setCommSettings reaches the line', async () => {
    const { a, b } = await cable();
    const device = new Port(openSerial(b, { baud: 115200 }), {
      clock: systemClock,
      name: 'device',
    });
    const host = new Port(await openTransport(`serial:${a}@9600`), {
      clock: systemClock,
      name: 'host',
    });
    void (async () => {
      device.send('login: ');
      await device.expect(['ppp\r']);
      device.send('\r\n$ ');
    })();
    const result = await runChat(host, parseChatArgs(['ogin:', 'ppp', '$ ', '']), {
      clock: systemClock,
      pacing: 'fast',
      timeoutSeconds: 5,
      output: quiet,
    });
    expect(result.exitCode).toBe(0);
    // Speed and stop bits reach the line; a Linux pty keeps cs8 and no parity,
    // so 7E1 is refused with a coded error and the port keeps its settings.
    host.setCommSettings({ parity: 0, stopBits: 2, byteSize: 8 });
    const settings = spawnSync('stty', ['-F', a, '-a'], { encoding: 'utf8' }).stdout;
    expect(settings).toMatch(/speed 9600 baud/);
    expect(settings).toMatch(/(^|\s)cstopb\b/);
    expect(() => host.setCommSettings({ parity: 2, stopBits: 0, byteSize: 7 })).toThrow(
      expect.objectContaining({ code: 'ERR_PORT_LINE_SETTINGS', number: 87 }),
    );
    expect(host.commSettings).toEqual({ parity: 0, stopBits: 2, byteSize: 8 });
    host.close();
    device.close();
  });

  it('the other end going away is a disconnect', async () => {
    const { a, socat } = await cable();
    const port = new Port(openSerial(a), { clock: systemClock });
    const ended = (async () => {
      for await (const chunk of port) void chunk;
      return port.disconnectError?.code;
    })();
    socat.kill('SIGTERM');
    expect(await ended).toBe('ERROR_PORT_DISCONNECTED');
    port.close();
  });

  it('refuses a path that is not a terminal', () => {
    expect(() => openSerial('/dev/null')).toThrow(/Cannot set|not a terminal/);
  });
});
