/**
 * The extra netrx servers bench/eap can run beside the default one, each in
 * its own process and measured in the same rounds as FreeRADIUS, and the
 * crypto floor it can print after them (bench/eap-floor.ts):
 *
 * - `netrx-nt0` (EAP_BENCH_NO_TICKETS=1): the default server with OpenSSL told
 *   to issue no TLS 1.3 session tickets. Without resumption Node's server
 *   still sends two stateful tickets after every TLS 1.3 handshake (no cache
 *   will ever find them); FreeRADIUS's stock eap module, cache disabled,
 *   sends none. Node has no per-context setting for it, so this is the
 *   process-wide OpenSSL configuration (`OPENSSL_CONF`, `NumTickets = 0`),
 *   which affects only servers: a client never issues tickets.
 * - `netrx-ssN` (EAP_BENCH_SEMI_SPACE=N): the default server with V8's young
 *   generation at N MiB per semi-space (`--max-semi-space-size`; V8 sizes it from the heap limit by
 *   default, growing as the heap does): fewer scavenges for the same garbage, more memory.
 * - `netrx-base` (EAP_BENCH_BASELINE=DIR): bench/support/eap-server.js from
 *   another build's dist-bench (main's, say), so a change is measured before
 *   and after in one run against the same FreeRADIUS figures.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NetrxVariant {
  readonly name: string;
  /** The eap-server.js to run. */
  readonly script: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Node options before the script. */
  readonly nodeArgs?: readonly string[];
}

/** OpenSSL's configuration for no TLS 1.3 tickets, read by Node at start-up (`nodejs_conf`). */
export const NO_TICKETS_OPENSSL_CONF = [
  'nodejs_conf = nodejs_init',
  '[nodejs_init]',
  'ssl_conf = ssl_sect',
  '[ssl_sect]',
  'system_default = system_default_sect',
  '[system_default_sect]',
  'NumTickets = 0',
  '',
].join('\n');

export function netrxVariants(dir: string, ownScript: string): NetrxVariant[] {
  const variants: NetrxVariant[] = [];
  if (process.env['EAP_BENCH_NO_TICKETS'] === '1') {
    const conf = join(dir, 'openssl-no-tickets.cnf');
    writeFileSync(conf, NO_TICKETS_OPENSSL_CONF);
    variants.push({ name: 'netrx-nt0', script: ownScript, env: { OPENSSL_CONF: conf } });
  }
  const semiSpace = process.env['EAP_BENCH_SEMI_SPACE'];
  if (semiSpace !== undefined && /^\d+$/.test(semiSpace))
    variants.push({
      name: `netrx-ss${semiSpace}`,
      script: ownScript,
      nodeArgs: [`--max-semi-space-size=${semiSpace}`],
    });
  const baseline = process.env['EAP_BENCH_BASELINE'];
  if (baseline !== undefined)
    variants.push({
      name: 'netrx-base',
      script: join(baseline, 'bench', 'support', 'eap-server.js'),
    });
  return variants;
}

/** EAP_BENCH_FLOOR=1: bench/eap-floor.ts's figures, printed after the servers' runs. */
export function printFloor(): void {
  if (process.env['EAP_BENCH_FLOOR'] !== '1') return;
  const floor = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'eap-floor.js')], {
    encoding: 'utf8',
    env: { ...process.env, EAP_FLOOR_ROUNDS: process.env['EAP_FLOOR_ROUNDS'] ?? '3' },
  });
  process.stdout.write(floor.stdout);
  if (floor.status !== 0) process.stderr.write(`bench eap: the floor failed: ${floor.stderr}\n`);
}
