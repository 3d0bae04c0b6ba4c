/**
 * Entry of the portable suite's bundle (scripts/lib/runtime-bundles.mjs):
 * runs every case and reports one line, `NETRX_SUITE {json}`, on the
 * console, and as `globalThis.netrxSuite` for a page. The runtime names
 * itself through what it exposes (Deno.version, Bun.version, a page's
 * navigator.userAgent).
 */
import { runCases } from './check.js';
import { webCrypto, websocketCases } from './websocket-suite.js';

interface RuntimeGlobals {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  navigator?: { userAgent: string };
  netrxSuite?: unknown;
  crypto: { getRandomValues(bytes: Uint8Array<ArrayBuffer>): unknown };
}
const host = globalThis as unknown as RuntimeGlobals;
const runtime =
  host.Deno !== undefined
    ? `deno ${host.Deno.version.deno}`
    : host.Bun !== undefined
      ? `bun ${host.Bun.version}`
      : `browser ${host.navigator?.userAgent ?? 'unknown'}`;
const report = runCases(
  websocketCases(webCrypto((bytes) => host.crypto.getRandomValues(bytes))),
  runtime,
);
host.netrxSuite = report;
console.log(`NETRX_SUITE ${JSON.stringify(report)}`);
