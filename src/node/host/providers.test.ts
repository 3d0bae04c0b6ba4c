// One host registers every module's trace provider on one bus: no two may
// share a GUID. netrx-eapol and netrx-radius once did (…1c1001), so a host
// with an 802.1X authenticator on a VXLAN adapter and the RADIUS server
// enabled failed to start ("registered as netrx-radius, not netrx-eapol").
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SYNTHETIC_PROVIDER_NAME } from '../../capture/index.js';
import { EAP_PROVIDER } from '../../eap/index.js';
import { EAPOL_PROVIDER } from '../../eapol/index.js';
import {
  LINK_PROVIDER,
  PACKET_CAPTURE_PROVIDER_GUID,
  PACKET_CAPTURE_PROVIDER_NAME,
} from '../../link/index.js';
import { PORT_PROVIDER } from '../../port/index.js';
import { RADIUS_PROVIDER } from '../../radius/index.js';
import { VirtualClock } from '../../testing/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { HOST_PROVIDER } from './events.js';
import { SYNTHETIC_PEER_PROVIDER } from './synthetic-service.js';

const all = [
  HOST_PROVIDER,
  SYNTHETIC_PEER_PROVIDER,
  EAP_PROVIDER,
  EAPOL_PROVIDER,
  LINK_PROVIDER,
  PORT_PROVIDER,
  RADIUS_PROVIDER,
  WEBSOCKET_PROVIDER,
  { guid: SYNTHETIC_PROVIDER_GUID, name: SYNTHETIC_PROVIDER_NAME },
  { guid: PACKET_CAPTURE_PROVIDER_GUID, name: PACKET_CAPTURE_PROVIDER_NAME },
];

describe('trace providers of one host', () => {
  it('every provider has a GUID of its own, so all register on one bus', () => {
    expect(new Set(all.map((p) => p.guid.toLowerCase())).size).toBe(all.length);
    const registry = new TraceRegistry({ clock: new VirtualClock(0) });
    for (const provider of all) registry.register(provider);
    expect(registry.providers()).toHaveLength(all.length);
  });
});
