/**
 * 802.1X on a host's adapter: the netrx/eapol authenticator (EAP-MD5 over a
 * static user list, the local backend, or a pass-through to RADIUS servers
 * on a UDP socket of its own) or the supplicant (EAP-MD5 with one
 * identity), with Node's crypto. What `netrx link vxlan --8021x-…` and the
 * `link.vxlan[].authenticator` / `.supplicant` keys of `netrx up` run.
 */
import {
  LocalAuthenticationProvider,
  StaticUserStore,
  createMd5Method,
  type StaticUser,
} from '../../eap/index.js';
import {
  EapolAuthenticator,
  EapolSupplicant,
  LocalEapBackend,
  type AuthenticatorTimers,
  type EapolAuthenticatorStats,
  type EapolSupplicantStats,
  type PortControlMode,
  type SupplicantInfo,
  type SupplicantTimers,
} from '../../eapol/index.js';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Adapter } from '../../link/index.js';
import {
  RadiusEapolBackend,
  type RadiusEapolBackendStats,
  type RadiusServerAddress,
} from '../../radius/index.js';
import { formatMac } from '../../wire/index.js';
import type { Clock } from '../../runtime/index.js';
import type { TraceRegistry } from '../../trace/index.js';
import { nodeCrypto } from '../runtime/index.js';

/** The RADIUS pass-through backend: the servers decide, `users` are not used. */
export interface Ieee8021xRadiusOptions {
  /** Tried in order (failover); all of one address family. */
  readonly servers: readonly RadiusServerAddress[];
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly nasIdentifier?: string;
}

export interface Ieee8021xAuthenticatorOptions {
  readonly users: readonly StaticUser[];
  /** Relay the EAP conversations to RADIUS instead of deciding them here. */
  readonly radius?: Ieee8021xRadiusOptions;
  readonly portControl?: PortControlMode;
  readonly timers?: Partial<AuthenticatorTimers>;
  readonly maxSupplicants?: number;
}

export interface Ieee8021xSupplicantOptions {
  readonly identity: string;
  readonly password: string;
  readonly timers?: Partial<SupplicantTimers>;
}

export interface Ieee8021xOptions {
  readonly authenticator?: Ieee8021xAuthenticatorOptions;
  readonly supplicant?: Ieee8021xSupplicantOptions;
  /** One line per authentication that ends (`802.1X …`). */
  readonly log?: (line: string) => void;
}

export interface Ieee8021x {
  readonly authenticator: EapolAuthenticator | undefined;
  readonly supplicant: EapolSupplicant | undefined;
  stats(): {
    authenticator?: EapolAuthenticatorStats & {
      readonly tracked: SupplicantInfo[];
      readonly radius?: RadiusEapolBackendStats;
    };
    supplicant?: EapolSupplicantStats;
  };
  close(): void;
}

/**
 * Binds the requested roles on `adapter`. The authenticator sets the
 * adapter's controlled port to per-MAC at once, so call this before the
 * adapter receives anything.
 */
export function attach8021x(
  adapter: Adapter,
  options: Ieee8021xOptions,
  clock: Clock,
  trace?: TraceRegistry,
): Ieee8021x {
  const md5 = createMd5Method({ crypto: nodeCrypto });
  const log = options.log;
  let authenticator: EapolAuthenticator | undefined;
  let supplicant: EapolSupplicant | undefined;
  let socket: Socket | undefined;
  let radiusBackend: RadiusEapolBackend | undefined;
  const auth = options.authenticator;
  if (auth !== undefined) {
    let backend: LocalEapBackend | RadiusEapolBackend;
    if (auth.radius === undefined) {
      backend = new LocalEapBackend({
        clock,
        methods: [md5],
        provider: new LocalAuthenticationProvider({
          users: new StaticUserStore(auth.users),
          crypto: nodeCrypto,
        }),
        ...(trace === undefined ? {} : { trace }),
      });
    } else {
      const radius = auth.radius;
      const v6 = radius.servers.map((server) => isIPv6(server.address));
      if (v6.some((x) => x !== v6[0]))
        throw new TypeError('802.1X RADIUS servers: give all IPv4 or all IPv6 addresses');
      const udp = createSocket({ type: v6[0] === true ? 'udp6' : 'udp4' });
      socket = udp;
      // Sending binds the socket to an ephemeral port; errors (ICMP unreachable) are the retries' business.
      udp.on('error', () => {});
      const relay = new RadiusEapolBackend({
        clock,
        crypto: nodeCrypto,
        servers: radius.servers,
        send: (datagram, to) => udp.send(datagram, to.port, to.address),
        calledStationId: formatMac(adapter.mac).replaceAll(':', '-').toUpperCase(),
        ...(radius.timeoutMs === undefined ? {} : { timeoutMs: radius.timeoutMs }),
        ...(radius.retries === undefined ? {} : { retries: radius.retries }),
        ...(radius.nasIdentifier === undefined ? {} : { nasIdentifier: radius.nasIdentifier }),
      });
      udp.on('message', (message, rinfo) =>
        relay.receive(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
          address: rinfo.address,
          port: rinfo.port,
        }),
      );
      backend = relay;
      radiusBackend = relay;
    }
    authenticator = new EapolAuthenticator({
      adapter,
      clock,
      crypto: nodeCrypto,
      backend,
      ...(auth.portControl === undefined ? {} : { portControl: auth.portControl }),
      ...(auth.timers === undefined ? {} : { timers: auth.timers }),
      ...(auth.maxSupplicants === undefined ? {} : { maxSupplicants: auth.maxSupplicants }),
      ...(trace === undefined ? {} : { trace }),
      ...(log === undefined
        ? {}
        : {
            onResult: (event) =>
              log(
                `802.1X authenticator: ${event.mac} ${JSON.stringify(event.identity)} ${event.result.outcome} (${event.result.reason})`,
              ),
          }),
    });
  }
  const supp = options.supplicant;
  if (supp !== undefined) {
    supplicant = new EapolSupplicant({
      adapter,
      clock,
      methods: [md5],
      identity: supp.identity,
      password: supp.password,
      ...(supp.timers === undefined ? {} : { timers: supp.timers }),
      ...(trace === undefined ? {} : { trace }),
      ...(log === undefined
        ? {}
        : {
            onResult: (event) =>
              log(
                `802.1X supplicant: ${event.outcome}${event.authenticator === undefined ? '' : ` by ${event.authenticator}`} (${event.reason})`,
              ),
          }),
    });
  }
  return {
    authenticator,
    supplicant,
    stats: () => ({
      ...(authenticator === undefined
        ? {}
        : {
            authenticator: {
              ...authenticator.stats(),
              tracked: authenticator.supplicants(),
              ...(radiusBackend === undefined ? {} : { radius: radiusBackend.stats() }),
            },
          }),
      ...(supplicant === undefined ? {} : { supplicant: supplicant.stats() }),
    }),
    close: () => {
      supplicant?.close();
      authenticator?.close();
      socket?.close();
    },
  };
}
