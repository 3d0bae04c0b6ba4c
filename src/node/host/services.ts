import { startVxlanHost, type Ieee8021xOptions, type VxlanHost } from '../link/index.js';
import { captureService } from './capture-service.js';
import { vxlanAdapterName, type HostConfig } from './config.js';
import { pcapReplayService } from './pcap-replay-service.js';
import { syntheticMethods } from './config-synthetic.js';
import type { HostService } from './host.js';
import { adapterMetrics } from './link-metrics.js';
import { samplesOf, type MetricFamily } from './metrics.js';
import { natsService } from './nats-service.js';
import { portService } from './port-service.js';
import { radiusService } from './radius-service.js';
import { adapterCounts, syntheticService } from './synthetic-service.js';
import { websocketEchoService } from './websocket-service.js';

/**
 * The services a configuration asks for, in the order they start (and the
 * reverse of the order they stop): the host's NATS connection first
 * (`cluster.nats`, when it has servers), since capture and RADIUS share it;
 * then the capture sessions, so they see every other service start and
 * flush last; then the servers (RADIUS, the link adapters, the WebSocket
 * echo, ports); the synthetic peer last, once what it talks to is up.
 */
export function servicesFromConfig(config: HostConfig): HostService[] {
  const nats =
    config.cluster.nats.servers.length > 0 ? natsService(config.cluster.nats) : undefined;
  const services: HostService[] = [
    ...(nats === undefined ? [] : [nats]),
    captureService(config.capture, {
      tokenSet: config.http.token !== '',
      ...(nats === undefined ? {} : { nats }),
    }),
  ];
  const radius = config.radius.enabled ? radiusService(config.radius, nats) : undefined;
  if (radius !== undefined) services.push(radius);
  services.push(...vxlanServices(config));
  services.push(...config.link.pcapReplay.map(pcapReplayService));
  if (config.websocket.echo.enabled) services.push(websocketEchoService(config.websocket.echo));
  for (const port of config.ports) services.push(portService(port));
  // The synthetic peer has no certificates: it runs the password methods only (config-checks.ts).
  const synthetic = syntheticMethods(config.radius.methods);
  if (config.synthetic.enabled && radius !== undefined && synthetic.length > 0)
    services.push(
      syntheticService(
        config.synthetic,
        synthetic,
        // The peer holds no token: with one set, the echo would answer it 401.
        config.websocket.echo.enabled && config.http.token === ''
          ? config.websocket.echo.path
          : undefined,
      ),
    );
  return services;
}

function vxlanServices(config: HostConfig): HostService[] {
  return config.link.vxlan.map((vxlan) => {
    let host: VxlanHost | undefined;
    let detachCapture: (() => void) | undefined;
    const name = vxlanAdapterName(vxlan);
    return {
      name,
      fingerprint: JSON.stringify(vxlan),
      async start(context) {
        host = await startVxlanHost({
          bind: vxlan.bind,
          remote: vxlan.remote,
          allowedSources: vxlan.allowedSources,
          vni: vxlan.vni,
          mac: vxlan.mac,
          ipv4: vxlan.ipv4,
          ipv6: vxlan.ipv6,
          gateway: {
            ...(vxlan.gateway.ipv4 === '' ? {} : { ipv4: vxlan.gateway.ipv4 }),
            ...(vxlan.gateway.ipv6 === '' ? {} : { ipv6: vxlan.gateway.ipv6 }),
          },
          routes: vxlan.routes,
          ...(vxlan.vlan === 0 ? {} : { vlan: vxlan.vlan }),
          mtu: vxlan.mtu,
          trustInnerChecksums: vxlan.trustInnerChecksums,
          ...ieee8021xOf(vxlan, (line) => context.log(`${name}: ${line}`)),
          ...(vxlan.pcap === '' ? {} : { pcap: vxlan.pcap }),
          ...(vxlan.udpEcho === 0 ? {} : { udpEcho: vxlan.udpEcho }),
          // Traced as CaptureWriteFailed too; the host runs on without the capture.
          onCaptureError: (error) => context.log(`${name}: ${error.message}; the capture stopped`),
          trace: context.trace,
          clock: context.clock,
        });
        detachCapture = context.captureAdapter(host.link.adapter);
        const addresses = [...vxlan.ipv4, ...vxlan.ipv6].map(
          (a) => `${a.address}/${a.prefixLength}`,
        );
        return `VNI ${vxlan.vni} on ${host.bound.address}:${host.bound.port} → ${vxlan.remote.address}:${vxlan.remote.port}, ${addresses.join(' ')}`;
      },
      async stop() {
        detachCapture?.();
        detachCapture = undefined;
        try {
          await host?.stop();
        } catch {
          // A capture write failure: traced (CaptureWriteFailed) and in /health when it happened.
        }
        host = undefined;
      },
      status: () => {
        if (host === undefined) return {};
        const capture = host.capture?.stats();
        return {
          link: host.link.stats(),
          stack: host.stack.stats(),
          // The gateways and routes the stack runs with (from link.vxlan[].gateway).
          routes: host.stack.routes(),
          ...(host.ieee8021x === undefined ? {} : { ieee8021x: host.ieee8021x.stats() }),
          ...(capture === undefined ? {} : { capture }),
        };
      },
      metrics: () => (host === undefined ? [] : vxlanMetrics(name, host)),
      snapshot: () => ({ adapters: host === undefined ? [] : [adapterCounts(host.link.adapter)] }),
    };
  });
}

function vxlanMetrics(name: string, host: VxlanHost): MetricFamily[] {
  const tunnel = host.link.stats();
  const adapter = host.link.adapter.stats();
  const labels = { adapter: name };
  return [
    {
      name: 'netrx_link_datagrams_received_total',
      help: 'VXLAN datagrams received by the tunnel endpoint.',
      type: 'counter',
      samples: [{ labels, value: tunnel.datagrams }],
    },
    {
      name: 'netrx_link_datagrams_sent_total',
      help: 'VXLAN datagrams sent.',
      type: 'counter',
      samples: [{ labels, value: tunnel.sent }],
    },
    {
      name: 'netrx_link_datagrams_dropped_total',
      help: 'VXLAN datagrams dropped by the tunnel endpoint, by reason.',
      type: 'counter',
      samples: samplesOf(tunnel.dropped, 'reason', labels),
    },
    ...adapterMetrics(adapter, labels),
  ];
}

/** The `authenticator` and `supplicant` keys of one `link.vxlan` entry, as `startVxlanHost` takes them. */
function ieee8021xOf(
  vxlan: HostConfig['link']['vxlan'][number],
  log: (line: string) => void,
): { ieee8021x?: Ieee8021xOptions } {
  const { authenticator: a, supplicant: s } = vxlan;
  if (!a.enabled && !s.enabled) return {};
  return {
    ieee8021x: {
      ...(a.enabled
        ? {
            authenticator: {
              users: a.users,
              ...(a.radius.servers.length === 0
                ? {}
                : {
                    radius: {
                      servers: a.radius.servers,
                      timeoutMs: a.radius.timeoutMs,
                      retries: a.radius.retries,
                      nasIdentifier: a.radius.nasIdentifier,
                    },
                  }),
              portControl: a.portControl,
              maxSupplicants: a.maxSupplicants,
              timers: {
                quietPeriodMs: a.quietPeriodMs,
                txPeriodMs: a.txPeriodMs,
                reAuthPeriodMs: a.reAuthPeriodMs,
                reAuthMax: a.reAuthMax,
              },
            },
          }
        : {}),
      ...(s.enabled ? { supplicant: { identity: s.identity, password: s.password } } : {}),
      log,
    },
  };
}
