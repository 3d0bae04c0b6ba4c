/** `radius serve --radsec`: the listener's options from the flags, and its connection lines. */
import { systemClock } from '../../node/runtime/index.js';
import { RADIUS_PROVIDER, RadiusEventDescriptor, RadiusKeyword } from '../../radius/index.js';
import { TraceLevel, TraceRegistry, decodePayload } from '../../trace/index.js';
import { type RadSecListenerOptions } from '../../node/radius/index.js';
import { integer } from '../args.js';
import { UsageError } from '../command.js';
import { type CertsDir } from './radius-methods.js';
import { list } from './radius-args.js';

/** A trace registry that prints RadSec connection events as one line each. */
export function radsecTrace(print: (line: string) => void): TraceRegistry {
  const trace = new TraceRegistry({ clock: systemClock });
  const byId = new Map(
    [
      ['accepted', RadiusEventDescriptor.connectionAccepted],
      ['closed', RadiusEventDescriptor.connectionClosed],
      ['refused', RadiusEventDescriptor.connectionRefused],
    ].map(([word, d]) => [
      (d as typeof RadiusEventDescriptor.connectionAccepted).id,
      { word: word as string, d: d as typeof RadiusEventDescriptor.connectionAccepted },
    ]),
  );
  trace.enable(
    RADIUS_PROVIDER.name,
    (event) => {
      const known = byId.get(event.descriptor.id);
      if (known === undefined) return;
      const decoded = decodePayload(known.d.fields ?? [], event.payload);
      if (!decoded.ok) return;
      const fields = Object.entries(decoded.values)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      print(`radsec ${known.word} ${fields}`);
    },
    { level: TraceLevel.Information, matchAnyKeyword: RadiusKeyword.Connections },
  );
  return trace;
}

/**
 * `--radsec PORT` with `--certs DIR` (this server's server.pem/server-key.pem,
 * clients checked against ca.pem). `--radsec-client NAME=CN` declares a
 * client by its certificate's CN (repeatable; `NAME=*` takes every
 * certificate of the CA); default one client `radsec` taking every
 * certificate of the CA.
 */
export function radsecOptions(
  host: string,
  port: number,
  certs: CertsDir | undefined,
  values: Record<string, string | boolean | undefined>,
): Omit<RadSecListenerOptions, 'trace'> {
  if (certs === undefined) throw new UsageError('--radsec needs --certs DIR');
  const specs = list(values['radsec-client']);
  const clients = (specs.length === 0 ? ['radsec=*'] : specs).map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1)
      throw new UsageError(
        `--radsec-client: expected NAME=CN or NAME=*, got ${JSON.stringify(spec)}`,
      );
    const cn = spec.slice(at + 1);
    return { name: spec.slice(0, at), ...(cn === '*' ? {} : { commonName: cn }) };
  });
  return {
    host,
    port,
    tls: {
      cert: certs.read('server.pem'),
      key: certs.read('server-key.pem'),
      ca: certs.read('ca.pem'),
    },
    clients,
    ...(values['radsec-idle'] === undefined
      ? {}
      : { idleTimeoutMs: integer('--radsec-idle', values['radsec-idle'], 1, 86_400_000) }),
  };
}
