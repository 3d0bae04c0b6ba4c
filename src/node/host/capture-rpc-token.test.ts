// Review S5: MS-LREC over TCP cannot take the dashboard's bearer token (its
// clients, impacket and Wireshark's extcap among them, bind without one), so
// with http.token set the capture RPC listener stays on loopback and the
// start says, once and plainly, that the token does not cover it.
import { afterEach, describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { startHost, type RunningHost } from './host.js';
import { servicesFromConfig } from './services.js';

const TOKEN = 'tok-0123456789-abcdefghij';
const hosts: RunningHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

async function start(http: Record<string, unknown>, rpc: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const config = validateHostConfig({
    http: { port: 0, ...http },
    radius: { enabled: false },
    capture: { rpc: { port: 0, ...rpc } },
    synthetic: { enabled: false },
    websocket: { echo: { enabled: false } },
  });
  const host = await startHost(config, {
    version: '0',
    log: (line) => lines.push(line),
    services: servicesFromConfig(config),
  });
  hosts.push(host);
  const capture = host.started.find((s) => s.name === 'capture')?.detail ?? '';
  return { lines, capture, host };
}

describe('netrx up: the capture RPC listener and http.token (review S5)', () => {
  it('with a token: one warning line naming rpc://, and the start line says the token does not cover it', async () => {
    const { lines, capture } = await start({ token: TOKEN });
    const warnings = lines.filter((l) =>
      l.startsWith('capture: warning: http.token does not cover rpc://127.0.0.1:'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/set capture\.rpc\.enabled: false to close it$/);
    expect(capture).toMatch(
      /^MS-LREC on rpc:\/\/127\.0\.0\.1:\d+ \(loopback, no auth, not covered by http\.token\)/,
    );
    // The token itself is never in the line.
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('without a token, or with the RPC listener off, no warning', async () => {
    const open = await start({});
    expect(open.lines.filter((l) => l.includes('warning'))).toEqual([]);
    expect(open.capture).toMatch(/\(loopback, no auth\) and /);
    const off = await start({ token: TOKEN }, { enabled: false });
    expect(off.lines.filter((l) => l.includes('warning'))).toEqual([]);
    expect(off.capture).toMatch(/\(capture\.rpc off\)$/);
  });

  it('with a token, a reload that turns the RPC listener on says it again (issue 14: rpc changes in place)', async () => {
    const { lines, host } = await start({ token: TOKEN }, { enabled: false });
    const next = validateHostConfig({
      http: { port: 0, token: TOKEN },
      radius: { enabled: false },
      capture: { rpc: { host: '127.0.0.2', port: 0 } },
      synthetic: { enabled: false },
      websocket: { echo: { enabled: false } },
    });
    expect(await host.reload(next, servicesFromConfig(next))).toMatchObject({
      ok: true,
      updated: ['capture'],
    });
    expect(
      lines.filter((l) =>
        l.startsWith('capture: warning: http.token does not cover rpc://127.0.0.2:'),
      ),
    ).toHaveLength(1);
  });

  it('off loopback the RPC listener is refused, naming capture.rpc.host', () => {
    expect(() => validateHostConfig({ capture: { rpc: { host: '0.0.0.0' } } })).toThrow(
      /^capture\.rpc\.host: 0\.0\.0\.0 is not loopback: the RPC transport has no authentication/,
    );
  });
});
