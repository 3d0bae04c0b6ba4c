/**
 * The core in a browser (issue 15 part 3): headless Chromium (Debian
 * `chromium`, 156.0.8078.129 when recorded; playwright-core 1.65.1) runs
 * the portable suite's bundle (esbuild, browser platform, no vitest in the
 * page) and fails this test if any in-page case fails; then a server and a
 * client handle joined by a MessageChannel pass the probe mix, deflate on
 * and off. Under CI=true a missing Chromium is a failure.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, outFile } from '../../bench/support/runtime-bundles.js';
import { requirePeers } from './support/peers.js';

const RECORDED = { chromium: '156.0.8078.129', playwrightCore: '1.65.1' };
const CHROMIUM = '/usr/bin/chromium';
const ENTRIES = { suite: 'test/portable/run-suite.ts', messagePort: 'runtimes/web/probe-page.ts' };

const peers = requirePeers('runtimes-chromium.test.ts', [
  { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
]);

describe.skipIf(peers.skip)('netrx WebSocket core in Chromium', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'netrx-ws-runtimes-page-'));
  let browser: Browser | undefined;
  let page: Page | undefined;
  let bundleErrors: readonly string[] = [];

  beforeAll(async () => {
    bundleErrors = (await bundle(Object.values(ENTRIES), outdir, 'browser')).errors;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
      timeout: 90_000,
    });
    page = await browser.newPage();
    await page.setContent('<!doctype html><title>netrx portable suite</title>');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('bundles for the browser', () => {
    expect(bundleErrors).toEqual([]);
    console.info(
      `chromium ${browser?.version()} (recorded ${RECORDED.chromium}), playwright-core ${RECORDED.playwrightCore}`,
    );
  });

  it('passes the portable WebSocket suite in the page', async () => {
    const script = readFileSync(outFile(outdir, ENTRIES.suite), 'utf8');
    await page!.addScriptTag({ content: script });
    const report = (await page!.evaluate(
      () => (globalThis as unknown as { netrxSuite: unknown }).netrxSuite,
    )) as {
      runtime: string;
      passed: number;
      failed: unknown[];
    };
    expect(report.runtime).toMatch(/^browser .*Chrome\//);
    expect(report.failed).toEqual([]);
    expect(report.passed).toBe(9);
  }, 60_000);

  it('runs handshake and probe over a MessagePort, deflate off and on', async () => {
    const script = readFileSync(outFile(outdir, ENTRIES.messagePort), 'utf8');
    await page!.addScriptTag({ content: script });
    const verdicts = (await page!.evaluate(
      () => (globalThis as unknown as { netrxMessagePort: Promise<unknown> }).netrxMessagePort,
    )) as { ok: boolean; problems: string[]; sent: number }[];
    expect(verdicts.map((v) => v.problems)).toEqual([[], []]);
    expect(verdicts.map((v) => v.sent)).toEqual([60, 60]);
  }, 60_000);
});
