/**
 * The manifest of every trace provider netrx ships: names and payload fields
 * of each event (the "manifest part" of netrx/trace descriptors), as JSON for
 * the dashboard, which decodes EVENT_BUFFER user data it never saw the code
 * of. Keywords go out as hex strings: a u64 does not fit a JSON number.
 */
import {
  CAPTURE_RPC_PROVIDER,
  CAPTURE_WS_PROVIDER,
  CaptureRpcEvent,
  CaptureWsEvent,
  SYNTHETIC_PROVIDER_GUID,
  SYNTHETIC_PROVIDER_NAME,
  SyntheticEvent,
} from '../../capture/index.js';
import { EAP_PROVIDER, EapEventDescriptor } from '../../eap/events.js';
import { EAPOL_PROVIDER, EapolEvent } from '../../eapol/events.js';
import { BindingEvent } from '../../link/binding-events.js';
import { LINK_PROVIDER, LinkEvent } from '../../link/events.js';
import {
  PACKET_CAPTURE_PROVIDER_GUID,
  PACKET_CAPTURE_PROVIDER_NAME,
  PacketFragmentReceived,
} from '../../link/packet-capture-provider.js';
import { PORT_PROVIDER, PortEventDescriptor } from '../../port/events.js';
import { RADIUS_PROVIDER, RadiusEventDescriptor } from '../../radius/events.js';
import type { EventDescriptor, FieldSpec } from '../../trace/index.js';
import { WEBSOCKET_PROVIDER, WebSocketEvent } from '../../websocket/events.js';
import { CLUSTER_PROVIDER, ClusterEvent } from '../cluster/events.js';
import { NodeLinkEvent } from '../link/events.js';
import { HOST_PROVIDER, HostEvent } from './events.js';
import { SYNTHETIC_PEER_PROVIDER, SyntheticPeerEvent } from './synthetic-service.js';

export interface ManifestEvent {
  readonly id: number;
  readonly name: string;
  readonly level: number;
  readonly keywords: string;
  readonly fields: readonly FieldSpec[];
}

export interface ManifestProvider {
  readonly guid: string;
  readonly name: string;
  readonly events: readonly ManifestEvent[];
}

const sets: readonly {
  readonly guid: string;
  readonly name: string;
  readonly events: readonly Readonly<Record<string, EventDescriptor>>[];
}[] = [
  { ...LINK_PROVIDER, events: [LinkEvent, BindingEvent, NodeLinkEvent] },
  { ...WEBSOCKET_PROVIDER, events: [WebSocketEvent] },
  { ...EAP_PROVIDER, events: [EapEventDescriptor] },
  { ...EAPOL_PROVIDER, events: [EapolEvent] },
  { ...RADIUS_PROVIDER, events: [RadiusEventDescriptor] },
  { ...PORT_PROVIDER, events: [PortEventDescriptor] },
  { ...HOST_PROVIDER, events: [HostEvent] },
  { ...CAPTURE_RPC_PROVIDER, events: [CaptureRpcEvent] },
  { ...CAPTURE_WS_PROVIDER, events: [CaptureWsEvent] },
  { ...SYNTHETIC_PEER_PROVIDER, events: [SyntheticPeerEvent] },
  { ...CLUSTER_PROVIDER, events: [ClusterEvent] },
  {
    guid: PACKET_CAPTURE_PROVIDER_GUID,
    name: PACKET_CAPTURE_PROVIDER_NAME,
    events: [{ PacketFragmentReceived }],
  },
  { guid: SYNTHETIC_PROVIDER_GUID, name: SYNTHETIC_PROVIDER_NAME, events: [{ SyntheticEvent }] },
];

/**
 * Every provider's events, one entry per event id (inbound and outbound packet
 * fragments share 1001). Two different events under one id would make a
 * capture ambiguous: that throws, and the test below runs it.
 */
export function providerManifest(): ManifestProvider[] {
  return sets.map(({ guid, name, events }) => {
    const byId = new Map<number, ManifestEvent>();
    for (const group of events) {
      for (const descriptor of Object.values(group)) {
        const seen = byId.get(descriptor.id);
        if (seen !== undefined) {
          // Two descriptors may share an id only as one event's variants (a packet in or out).
          if (seen.name === descriptor.name) continue;
          throw new Error(
            `${name}: event id ${descriptor.id} is both ${seen.name} and ${descriptor.name}`,
          );
        }
        byId.set(descriptor.id, {
          id: descriptor.id,
          name: descriptor.name,
          level: descriptor.level,
          keywords: descriptor.keywords.toString(16),
          fields: descriptor.fields ?? [],
        });
      }
    }
    return { guid, name, events: [...byId.values()].sort((a, b) => a.id - b.id) };
  });
}
