/**
 * The configuration sections of the services `netrx up` runs beside the
 * link adapters and ports: the RADIUS/EAP server, the capture server and its
 * sessions, the synthetic traffic source, and the HTTP endpoint's TLS and
 * token. Their checks across keys are in config-checks.ts.
 */
import { LISTEN_ADDRESS, parseListenAddress } from './address.js';
import { captureNatsSection } from './config-nats.js';
import {
  boolean,
  field,
  integer,
  list,
  object,
  oneOf,
  parsed,
  required,
  section,
  string,
} from './schema.js';

/** The conventional test secret and demo user: refused on any non-loopback address. */
export const DEMO_SECRET = 'testing123';
export const DEMO_USER = { name: 'demo', password: 'demo' } as const;

const listenAddress = parsed(LISTEN_ADDRESS, parseListenAddress);
const secret = string({ pattern: /^.+$/s, describe: 'a non-empty secret' });
const filename = string({ describe: "a file name ('' for none)" });

export const httpSection = section(
  object({
    host: field(listenAddress, '127.0.0.1'),
    port: field(integer(0, 65535), 7340),
    /** HTTPS: both files, PEM. Required (with `token`) on a non-loopback `host`. */
    tls: section(object({ cert: field(filename, ''), key: field(filename, '') })),
    /** A bearer token every request must carry (`Authorization: Bearer …`); '' for none. */
    token: field(string({ describe: 'a token' }), ''),
  }),
);

export const radiusSection = section(
  object({
    /** On by default, on loopback with the demo secret and user (refused off loopback). */
    enabled: field(boolean(), true),
    host: field(listenAddress, '127.0.0.1'),
    /** 0 picks a free port. */
    port: field(integer(0, 65535), 1812),
    /** NASes allowed to ask, each an address or prefix with its shared secret. */
    clients: field(
      list(
        object({
          address: required(string({ describe: 'an address or ADDRESS/NN prefix' })),
          secret: required(secret),
        }),
        1024,
      ),
      [
        { address: '127.0.0.0/8', secret: DEMO_SECRET },
        { address: '::1', secret: DEMO_SECRET },
      ],
    ),
    /** Users as `{ name, password }`; or `usersFile` (FreeRADIUS users format), not both. */
    users: field(
      list(
        object({
          name: required(string({ pattern: /^[^:]+$/, describe: 'a user name' })),
          password: required(string()),
        }),
        65_536,
      ),
      [{ ...DEMO_USER }],
    ),
    usersFile: field(filename, ''),
    /** EAP methods in policy order (the first is proposed first). */
    methods: field(list(oneOf('md5', 'mschapv2'), 2), ['md5', 'mschapv2']),
  }),
);

export const captureSection = section(
  object({
    /** The MS-LREC DCE/RPC transport (ncacn_ip_tcp); unauthenticated, so loopback only. */
    rpc: section(
      object({
        enabled: field(boolean(), true),
        host: field(listenAddress, '127.0.0.1'),
        port: field(integer(0, 65535), 7341),
      }),
    ),
    /** Event sessions, each fed by the named providers (`*`: every provider). */
    sessions: field(
      list(
        object({
          name: required(string({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, describe: 'a session name' })),
          providers: field(list(string({ describe: 'a provider name or GUID' }), 64), ['*']),
          level: field(integer(0, 5), 5),
          /** Events the session may queue while no client reads (rounded up to buffers). */
          queueEvents: field(integer(16, 65_536), 4096),
        }),
        64,
      ),
      [{ name: 'default', providers: ['*'], level: 5, queueEvents: 4096 }],
    ),
    /** Capture fan-in over NATS JetStream (docs/cluster.md); off without servers. */
    nats: captureNatsSection,
  }),
);

export const syntheticSection = section(
  object({
    /** A netrx peer authenticating against `radius` every `intervalMs`, so events flow. */
    enabled: field(boolean(), true),
    intervalMs: field(integer(100, 3_600_000), 5000),
    identity: field(string({ describe: 'a user name' }), DEMO_USER.name),
    password: field(string(), DEMO_USER.password),
    secret: field(secret, DEMO_SECRET),
  }),
);
