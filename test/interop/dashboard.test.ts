/**
 * The netrx up dashboard end to end, in headless Chromium (Debian
 * `chromium`, driven by playwright-core): `netrx up` on its default services
 * (ephemeral RADIUS and capture ports, the synthetic peer authenticating
 * every 300 ms), the page at `/` opening the `default` capture session over
 * `ws://…/capture`, events arriving, the provider filter and the search box
 * narrowing the list, the EAP panel showing the demo user's
 * authentications; a screenshot goes to .test-artifacts/. Then the host is
 * stopped and started again on the same port: the page says it is
 * disconnected, reconnects on its own, counts the restart as a gap and
 * shows new events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, exitOf, root } from '../cli/support/processes.js';
import { requirePeers } from './support/peers.js';

/** Versions these expectations were checked with. */
const RECORDED = { chromium: '156.0.8078.114', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 90_000;
const ARTIFACTS = join(root, '.test-artifacts');

const peers = requirePeers('dashboard.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startUp(config: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'up', '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => output.includes('press Ctrl-C') && resolve();
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`netrx up exited early (${code}): ${output}`)));
  });
  return { child, output: () => output };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  await exited;
}

/** The page's running count of received events (the "Received" figure). */
async function received(page: Page): Promise<number> {
  const text = await page.locator('#totals dd').first().textContent();
  return Number(text ?? '0');
}

describe.skipIf(peers.skip)('the netrx up dashboard in headless Chromium', () => {
  let browser: Browser | undefined;
  let host: ChildProcess | undefined;
  let config = '';
  let port = 0;

  beforeAll(async () => {
    expect(ensureBuilt()).toBe(0);
    expect(existsSync(join(root, 'ui/dist/index.html'))).toBe(true);
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'netrx-dashboard-'));
    config = join(dir, 'dashboard.yaml');
    writeFileSync(
      config,
      `http:\n  port: ${port}\nradius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\nsynthetic:\n  intervalMs: 300\n`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: LAUNCH_TIMEOUT_MS,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    console.log(
      `peers: chromium ${browser.version()} (recorded ${RECORDED.chromium}), playwright-core ${RECORDED.playwrightCore}`,
    );
  }, LAUNCH_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stop(host);
    await browser?.close();
  });

  it('shows live events, filters them, and shows the demo authentications', async () => {
    host = (await startUp(config)).child;
    const page = await (browser as Browser).newPage({ viewport: { width: 1366, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect
      .poll(() => page.locator('#connection').textContent(), { timeout: 20_000 })
      .toMatch(/^Live: session default/);
    // Events from the synthetic peer's authentications arrive.
    await expect
      .poll(() => page.locator('#event-rows tr').count(), { timeout: 20_000 })
      .toBeGreaterThan(5);
    await expect
      .poll(() => page.locator('#panel-eap tbody tr').count(), { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(await page.locator('#panel-eap tbody').textContent()).toMatch(/demo/);

    // Filter by provider (through its label, as a keyboard or screen-reader user would reach it).
    await page.getByLabel('Provider').selectOption('netrx-radius');
    await expect
      .poll(async () => {
        const shown = await page.locator('#event-rows tr').count();
        const others = await page
          .locator('#event-rows tr:not([data-provider="netrx-radius"])')
          .count();
        return shown > 0 && others === 0;
      })
      .toBe(true);
    // A search that matches nothing empties the list; clearing the filters brings events back.
    await page.getByLabel('Search').fill('no-such-event-anywhere');
    await expect.poll(() => page.locator('#event-rows tr').count()).toBe(0);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Provider').selectOption('');
    await expect.poll(() => page.locator('#event-rows tr').count()).toBeGreaterThan(0);

    // "Save as pcapng" downloads the host's recent packets (the synthetic link's ARP and UDP echo).
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Save as pcapng' }).click();
    const file = await (await download).path();
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(bytes.length).toBeGreaterThan(100);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    // What a laptop screen shows first (docs/images/dashboard.png is one of these).
    await page.locator('h1').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-viewport.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('recovers when the host restarts: reconnects, counts the gap, shows new events', async () => {
    await stop(host);
    host = (await startUp(config)).child;
    const page = await (browser as Browser).newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect
      .poll(() => page.locator('#connection').textContent(), { timeout: 20_000 })
      .toMatch(/^Live/);
    await expect.poll(() => received(page), { timeout: 20_000 }).toBeGreaterThan(0);

    await stop(host);
    await expect
      .poll(() => page.locator('#connection').textContent(), { timeout: 20_000 })
      .toMatch(/^(Disconnected|Connecting)/);
    const before = await received(page);
    host = (await startUp(config)).child;
    await expect
      .poll(() => page.locator('#connection').textContent(), { timeout: 30_000 })
      .toMatch(/^Live/);
    await expect.poll(() => received(page), { timeout: 20_000 }).toBeGreaterThan(before);
    // The restart is shown as a gap: "Host restarts seen" is the third figure.
    await expect.poll(() => page.locator('#totals dd').nth(2).textContent()).toBe('1');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after-restart.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
