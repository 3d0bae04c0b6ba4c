/**
 * What test/interop/dashboard.test.ts drives the page with: `netrx up` as a
 * child process, browser-side expressions, the page's figures, axe-core,
 * and a line with a login prompt for a port's chat script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { exitOf, root } from '../../cli/support/processes.js';

export async function startUp(
  config: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [join(root, 'dist/cli/main.js'), 'up', '--config', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
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

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  await exited;
}

/** Until the page's status says it reads `session` live (20 s at most). */
export async function untilLive(page: Page, session = 'default'): Promise<void> {
  await expect
    .poll(() => page.locator('#connection').textContent(), { timeout: 20_000 })
    .toMatch(new RegExp(`^Live: session ${session}$`));
}

/** The value of a browser-side expression (the tests have no DOM types). */
export function js<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** "Authentications since the host started", from the host's snapshot (review D8). */
export async function hostAuthentications(page: Page): Promise<number> {
  const text = await page.locator('#host-totals dd').nth(1).textContent();
  return Number(text ?? 'NaN');
}

/** The page's running count of received events (the "Received" figure). */
export async function received(page: Page): Promise<number> {
  const text = await page.locator('#totals dd').first().textContent();
  return Number(text ?? '0');
}

const AXE_SOURCE = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is now: the violations of
 * serious or critical impact, one line each (what, where). The source is
 * evaluated over the DevTools protocol, which the page's CSP does not govern.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<
    { id: string; impact: string; help: string; targets: string[] }[]
  >(`(async () => {
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  })()`);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
}

export const CONSOLE_PASSWORD = 'e2e-console-secret';
export const TOKEN = 'an-e2e-dashboard-token-0123456789';

/**
 * A line with a login prompt for the port's chat script: it holds the
 * prompt until `release()`, so the dialogue happens while the pages watch.
 */
export function consoleServer(): Promise<{ server: Server; port: number; release: () => void }> {
  let released = false;
  const waiting = new Set<Socket>();
  const prompt = (socket: Socket) => socket.write('Welcome to the e2e console\r\nlogin: ');
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    let input = '';
    socket.on('data', (chunk: Buffer) => {
      input += chunk.toString('latin1');
      if (input.endsWith('ppp\r')) socket.write('Password: ');
      else if (input.endsWith(`${CONSOLE_PASSWORD}\r`)) socket.write('Last login: today\r\n$ ');
      else if (input.endsWith('exit\r')) socket.end('logout\r\n');
    });
    if (released) prompt(socket);
    else waiting.add(socket);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        release: () => {
          released = true;
          for (const socket of waiting) prompt(socket);
          waiting.clear();
        },
      }),
    ),
  );
}
