/**
 * The setup the dashboard suites share (test/interop/dashboard*.test.ts):
 * the Chromium peer and its recorded version, the browser launch, a host
 * configuration written to a temp directory, and what a test reads back
 * from the laid-out page (clipped table cells, the rate chart's SVG).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requirePeers } from './peers.js';

/** Versions the dashboard suites' expectations were checked with. */
export const RECORDED = { chromium: '156.0.8078.114', playwrightCore: '1.65.1' };
export const CHROMIUM = '/usr/bin/chromium';
export const LAUNCH_TIMEOUT_MS = 90_000;

/** Chromium, or a skip (a failure under CI=true). */
export function chromiumPeer(suite: string): { readonly skip: boolean } {
  return requirePeers(suite, [
    { name: 'chromium', ok: () => existsSync(CHROMIUM), hint: 'apt-get install -y chromium' },
  ]);
}

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: LAUNCH_TIMEOUT_MS,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  console.log(
    `peers: chromium ${browser.version()} (recorded ${RECORDED.chromium}), playwright-core ${RECORDED.playwrightCore}`,
  );
  return browser;
}

/** A fresh temp directory named after the suite. */
export function configDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * `netrx up` on `port` with ephemeral RADIUS and capture RPC ports and the
 * synthetic peer every 300 ms; `extra` YAML lines go under `http:`.
 */
export function writeHostConfig(dir: string, name: string, port: number, extra = ''): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `http:\n  port: ${port}\n${extra}radius:\n  port: 0\ncapture:\n  rpc:\n    port: 0\nsynthetic:\n  intervalMs: 300\n`,
  );
  return file;
}

/**
 * The table cells inside `panels` (selectors of dashboard panels) that are
 * cut: wider inside than they show (`scrollWidth > clientWidth`), or
 * reaching past their panel's body, which clips them (review L4:
 * "Durat", "reachabl"). One line per cell: panel, cell, its text.
 */
export function clippedCells(page: Page, panels: readonly string[]): Promise<string[]> {
  // A string: these suites have no DOM types (dashboard-page.ts, js()).
  return page.evaluate<string[]>(`(() => {
    const cut = [];
    for (const selector of ${JSON.stringify(panels)}) {
      const body = document.querySelector(selector + ' .body');
      if (body === null) {
        cut.push(selector + ': no .body');
        continue;
      }
      const box = body.getBoundingClientRect();
      for (const cell of body.querySelectorAll('th, td')) {
        const at = cell.getBoundingClientRect();
        const inside = at.left >= box.left - 0.5 && at.right <= box.right + 0.5;
        if (cell.scrollWidth <= cell.clientWidth && inside) continue;
        cut.push(selector + ' ' + cell.tagName.toLowerCase() + ' ' + JSON.stringify(cell.textContent) +
          ': scrollWidth ' + cell.scrollWidth + ' clientWidth ' + cell.clientWidth +
          ', right ' + Math.round(at.right) + " against the panel's " + Math.round(box.right));
      }
    }
    return cut;
  })()`);
}

/** The rate chart as its SVG says it (views/chart.ts): what a person reads off it. */
export interface RenderedChart {
  readonly xLabels: readonly { readonly text: string; readonly hostMs: number }[];
  readonly yLabels: readonly {
    readonly text: string;
    readonly value: number;
    readonly y: number;
  }[];
  /** The y of the x axis (where a value of 0 lies). */
  readonly xAxisY: number;
  readonly legend: Readonly<Record<string, string>>;
  readonly lines: Readonly<
    Record<string, { readonly dash: string; readonly stroke: string; readonly points: number }>
  >;
  readonly axisStroke: string;
}

export function renderedChart(page: Page): Promise<RenderedChart> {
  return page.evaluate<RenderedChart>(`(() => {
    const chart = document.querySelector('svg#rate-chart');
    if (chart === null) throw new Error('the page has no svg#rate-chart');
    const texts = (axis) => [...chart.querySelectorAll('text[data-axis="' + axis + '"]')];
    const axis = chart.querySelector('line[data-axis="x"]');
    const lines = {};
    for (const path of chart.querySelectorAll('path[data-series]'))
      lines[path.getAttribute('data-series')] = {
        dash: path.getAttribute('stroke-dasharray') ?? '',
        stroke: getComputedStyle(path).stroke,
        points: (path.getAttribute('d') ?? '').split(/[ML]/).filter((s) => s.trim() !== '').length,
      };
    const legend = {};
    for (const text of chart.querySelectorAll('text[data-legend]'))
      legend[text.getAttribute('data-legend')] = text.textContent ?? '';
    return {
      xLabels: texts('x').map((t) => ({
        text: t.textContent ?? '',
        hostMs: Number(t.getAttribute('data-host-ms')),
      })),
      // Each label sits 4 units below its tick (views/chart.ts), centred on it.
      yLabels: texts('y').map((t) => ({
        text: t.textContent ?? '',
        value: Number(t.getAttribute('data-value')),
        y: Number(t.getAttribute('y')) - 4,
      })),
      xAxisY: Number(axis?.getAttribute('y1') ?? NaN),
      legend,
      lines,
      axisStroke: axis === null ? '' : getComputedStyle(axis).stroke,
    };
  })()`);
}
