/**
 * Experiment (issue 16 part 2, r-radius): CPU cost of the canonical NAS
 * address (src/radius/nas-address.ts), which a RADIUS server now computes
 * once per EAP conversation it starts (and per forward it sends, and when
 * a stored spelling differs from the request's). Ours: `canonicalAddress`.
 * Anchor, same run: Node's WHATWG URL parser canonicalizing the same
 * literal as a host (`new URL('http://[…]/').hostname`, RFC 5952 text for
 * IPv6; the dotted quad as it is). Prints ns of CPU (process.cpuUsage)
 * per call and the ratio ours/anchor.
 *
 * Since issue 16 (r-small) the duplicate cache's key holds the canonical
 * address too, so it is computed per request: the second table builds
 * `DuplicateCache.key` (ours) against the same key from the socket's
 * spelling as it was before (anchor), same run.
 *
 * Run: `npx tsc -p tsconfig.bench.json`, then
 * `node dist-bench/bench/experiments/nas-address-cost.js` (N=2000000).
 */
import { DuplicateCache, packedKey } from '../../src/radius/duplicate-cache.js';
import { canonicalAddress } from '../../src/radius/nas-address.js';

const n = Number(process.env['N'] ?? 2_000_000);

function cpuNanos(run: () => unknown): number {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += String(run()).length; // warm up
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) sink += String(run()).length;
  const used = process.cpuUsage(start);
  if (sink < 0) console.log(sink); // keeps the results alive
  return ((used.user + used.system) * 1000) / n;
}

const literal = (text: string) => (text.includes(':') ? `[${text}]` : text);

for (const text of ['127.0.0.1', '::ffff:127.0.0.1', 'FD00:0:0:0:0:0:0:A', '2001:db8::1']) {
  const ours = cpuNanos(() => canonicalAddress(text));
  const url = `http://${literal(text)}/`;
  const anchor = cpuNanos(() => new URL(url).hostname);
  console.log(
    `${text.padEnd(20)} ours ${ours.toFixed(0).padStart(5)} ns, URL ${anchor.toFixed(0).padStart(5)} ns, ours/URL ${(ours / anchor).toFixed(2)}x`,
  );
}

const authenticator = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '2001:db8::1']) {
  const from = { address, port: 50_000 };
  const ours = cpuNanos(() => DuplicateCache.key(from, 42, authenticator));
  // The key before issue 16: the socket's spelling as it came.
  const anchor = cpuNanos(
    () => `${from.address}|${from.port}|${String.fromCharCode(42)}${packedKey(authenticator)}`,
  );
  console.log(
    `key ${address.padEnd(16)} ours ${ours.toFixed(0).padStart(5)} ns, before ${anchor.toFixed(0).padStart(5)} ns, ours/before ${(ours / anchor).toFixed(2)}x`,
  );
}
