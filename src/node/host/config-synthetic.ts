/**
 * The `synthetic` section's checks against the rest of the configuration.
 *
 * The synthetic peer is on by default and needs radius: a file that turns
 * radius off without a word about synthetic runs no peer; one that asks for
 * the peer explicitly with radius off is an error. The peer runs the
 * password methods (md5, mschapv2) of radius.methods only; it has no client
 * certificate or CA for the TLS-based ones, so with none of those listed it
 * is likewise left out, or refused when asked for.
 *
 * The peer sends from the address it sends to (loopback for a wildcard
 * radius.host), so the RADIUS client entry that covers that address must
 * hold `synthetic.secret`: otherwise every round times out and the demo's
 * proof of life fails silently (review M4). Refused at load, naming the key,
 * when that address is loopback (the demo, the default); off loopback a
 * failing peer shows as `degraded` in /health.
 */
import { RadiusClientTable } from '../../radius/index.js';
import { isLoopbackAddress } from '../capture/index.js';
import type { HostConfig } from './config.js';
import { ConfigError } from './schema.js';

/** The methods of radius.methods the synthetic peer runs, in turn. */
export function syntheticMethods(
  methods: HostConfig['radius']['methods'],
): HostConfig['radius']['methods'] {
  return methods.filter((m) => m === 'md5' || m === 'mschapv2');
}

/** Where the synthetic peer sends its requests (and so sends them from) for `radiusHost`. */
export function syntheticTarget(radiusHost: string): string {
  if (radiusHost === '0.0.0.0' || radiusHost === 'localhost') return '127.0.0.1';
  if (radiusHost === '::') return '::1';
  return radiusHost;
}

export function checkSynthetic(config: HostConfig, raw: unknown): void {
  const explicit =
    (raw as { synthetic?: { enabled?: unknown } } | null | undefined)?.synthetic?.enabled === true;
  if (explicit && !config.radius.enabled)
    throw new ConfigError(
      'synthetic.enabled',
      'the synthetic traffic authenticates against radius: enable radius or set this to false',
    );
  const methods = syntheticMethods(config.radius.methods);
  if (explicit && methods.length === 0)
    throw new ConfigError(
      'synthetic.enabled',
      'the synthetic peer runs md5 or mschapv2: list one in radius.methods or set this to false',
    );
  if (!config.synthetic.enabled || !config.radius.enabled || methods.length === 0) return;
  const from = syntheticTarget(config.radius.host);
  // Off loopback the operator's clients are checked for the demo secret
  // instead (config-checks.ts); a failing peer there shows as degraded in /health.
  if (!isLoopbackAddress(from)) return;
  // The server's own lookup (the most specific prefix wins), so the check and the server agree.
  const client = new RadiusClientTable(
    config.radius.clients.map((c) => ({ address: c.address, secret: c.secret })),
  ).lookup(from);
  if (client === undefined)
    throw new ConfigError(
      'synthetic.secret',
      `no radius.clients entry covers ${from}, where the synthetic peer sends from: add one with this secret, or set synthetic.enabled to false`,
    );
  if (!sameBytes(client.secret, new TextEncoder().encode(config.synthetic.secret)))
    throw new ConfigError(
      'synthetic.secret',
      `is not the secret of the radius.clients entry for ${from} (${client.name}): the synthetic peer's every round would time out; give both the same secret`,
    );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
