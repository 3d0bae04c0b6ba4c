/**
 * The netrx up dashboard laid out by headless Chromium (Debian `chromium`,
 * driven by playwright-core) on a laptop screen, review of issue 14, L4:
 *
 * - at 1280×800 (three module panels a row) every header and body cell of
 *   the EAP/RADIUS and link panels shows whole (the Duration column was cut
 *   to "Durat", the neighbour State to "reachabl"), and every recent
 *   authentication has its duration, the ones from the host's snapshot
 *   too (the server times each conversation, RadiusSessionEnded); at 1024
 *   wide the page has no horizontal scroll and no cell is cut either;
 * - the rate chart, read from its SVG (not pixels): a time axis labelled on
 *   the host's clock every 30 s of the last two minutes, a y axis from 0 at
 *   the x axis, and lost/s dashed, in another colour than the axis, with a
 *   legend that says its figure.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, root } from '../cli/support/processes.js';
import {
  chromiumPeer,
  clippedCells,
  configDir,
  launchChromium,
  LAUNCH_TIMEOUT_MS,
  renderedChart,
  writeHostConfig,
} from './support/dashboard-browser.js';
import { js, startUp, stop, untilLive } from './support/dashboard-page.js';
import { freePort } from './support/ports.js';

const peers = chromiumPeer('dashboard-layout.test.ts');
const PANELS = ['#panel-eap', '#panel-link'];

interface Snapshot {
  readonly atMs: number;
  readonly authentications: { readonly total: number };
}

describe.skipIf(peers.skip)('the netrx up dashboard on a laptop screen (review L4)', () => {
  let browser: Browser | undefined;
  let host: ChildProcess | undefined;
  let port = 0;
  const snapshot = async () =>
    (await (await fetch(`http://127.0.0.1:${port}/api/dashboard/snapshot`)).json()) as Snapshot;

  beforeAll(async () => {
    expect(ensureBuilt()).toBe(0);
    expect(existsSync(join(root, 'ui/dist/index.html'))).toBe(true);
    port = await freePort();
    const config = writeHostConfig(configDir('l4-dashboard-layout-'), 'layout.yaml', port);
    host = (await startUp(config)).child;
    browser = await launchChromium();
  }, LAUNCH_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await stop(host);
    await browser?.close();
  });

  /** A page at `width`×800, live, its EAP panel and both link tables filled. */
  async function openAt(width: number): Promise<Page> {
    // Authentications the page will know only from the host's snapshot.
    await expect
      .poll(async () => (await snapshot()).authentications.total, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(8);
    const page = await (browser as Browser).newPage({ viewport: { width, height: 800 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await untilLive(page);
    await expect
      .poll(() => page.locator('#panel-eap tbody tr').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(8);
    await expect.poll(() => page.locator('#panel-link table').count(), { timeout: 20_000 }).toBe(2);
    return page;
  }

  it('at 1280×800 no cell of the EAP or link panel is cut, and every authentication has its duration', async () => {
    const page = await openAt(1280);
    // Three module panels a row: the narrowest they get on this screen.
    const panelWidth = await js<number>(page, "document.getElementById('panel-eap').clientWidth");
    expect(panelWidth).toBeLessThan(420);
    expect(await clippedCells(page, PANELS)).toEqual([]);
    const durations = await page.locator('#panel-eap tbody tr td:nth-child(5)').allTextContents();
    expect(durations.length).toBeGreaterThanOrEqual(8);
    expect(durations.filter((text) => !/^(< 1|\d+) ms$/.test(text))).toEqual([]);
    await page.screenshot({
      path: join(root, '.test-artifacts', 'dashboard-panels-1280x800.png'),
      fullPage: true,
    });
    await page.close();
  }, 60_000);

  it('at 1024×800 the page does not scroll sideways and no cell is cut', async () => {
    const page = await openAt(1024);
    const widths = await js<{ scroll: number; client: number }>(
      page,
      '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
    );
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(await clippedCells(page, PANELS)).toEqual([]);
    await page.close();
  }, 60_000);

  it("the rate chart has a time axis on the host's clock, a y axis from 0, and a lost/s line apart from the axis", async () => {
    const page = await openAt(1280);
    const { atMs } = await snapshot();
    // Drawn every 250 ms: once it has its labels.
    await expect
      .poll(async () => (await renderedChart(page)).xLabels.length, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(3);
    const chart = await renderedChart(page);
    for (const label of chart.xLabels) {
      expect(label.text).toMatch(/^\d\d:\d\d:\d\d$/);
      expect(label.hostMs % 30_000).toBe(0);
      // The last two minutes of the host's clock (the page's is the same machine here).
      expect(label.hostMs).toBeGreaterThan(atMs - 125_000);
      expect(label.hostMs).toBeLessThan(atMs + 5_000);
    }
    // Written as every time on the page: HH:MM:SS in the browser's time zone.
    const written = await js<string[]>(
      page,
      `${JSON.stringify(chart.xLabels.map((l) => l.hostMs))}.map((ms) => {
        const d = new Date(ms);
        const pad = (n) => String(n).padStart(2, '0');
        return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
      })`,
    );
    expect(chart.xLabels.map((l) => l.text)).toEqual(written);
    const zero = chart.yLabels.find((l) => l.value === 0);
    expect(zero?.text).toBe('0');
    expect(zero?.y).toBe(chart.xAxisY);
    const top = chart.yLabels[chart.yLabels.length - 1];
    expect(top?.text).toMatch(/^\d+\/s$/);
    // lost/s: a dashed line of its own colour, and a legend that says its figure.
    const lost = chart.lines['lost'];
    expect(lost?.dash).not.toBe('');
    expect(lost?.points).toBeGreaterThan(0);
    expect(lost?.stroke).not.toBe(chart.axisStroke);
    expect(lost?.stroke).not.toBe(chart.lines['received']?.stroke);
    expect(chart.lines['received']?.dash).toBe('');
    expect(chart.legend['lost']).toMatch(/^lost\/s \d+/);
    expect(chart.legend['received']).toMatch(/^events\/s \d+$/);
    await page.close();
  }, 60_000);
});
