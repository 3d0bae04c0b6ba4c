/**
 * Every trace provider netrx ships, registered in one registry as the host
 * does: GUIDs and names must be distinct, or the second registration throws
 * and a capture session could not tell the providers' events apart.
 */
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_PROVIDER_GUID, SYNTHETIC_PROVIDER_NAME } from '../../src/capture/index.js';
import { EAP_PROVIDER } from '../../src/eap/events.js';
import { EAPOL_PROVIDER } from '../../src/eapol/events.js';
import { LINK_PROVIDER } from '../../src/link/events.js';
import {
  PACKET_CAPTURE_PROVIDER_GUID,
  PACKET_CAPTURE_PROVIDER_NAME,
} from '../../src/link/index.js';
import { HOST_PROVIDER } from '../../src/node/host/events.js';
import { SYNTHETIC_PEER_PROVIDER } from '../../src/node/host/synthetic-service.js';
import { PORT_PROVIDER } from '../../src/port/events.js';
import { RADIUS_PROVIDER } from '../../src/radius/events.js';
import { VirtualClock } from '../../src/testing/index.js';
import { TraceRegistry } from '../../src/trace/index.js';
import { WEBSOCKET_PROVIDER } from '../../src/websocket/events.js';

const providers = [
  EAP_PROVIDER,
  EAPOL_PROVIDER,
  HOST_PROVIDER,
  SYNTHETIC_PEER_PROVIDER,
  LINK_PROVIDER,
  PORT_PROVIDER,
  RADIUS_PROVIDER,
  WEBSOCKET_PROVIDER,
  { guid: PACKET_CAPTURE_PROVIDER_GUID, name: PACKET_CAPTURE_PROVIDER_NAME },
  { guid: SYNTHETIC_PROVIDER_GUID, name: SYNTHETIC_PROVIDER_NAME },
];

describe('trace providers', () => {
  it('have distinct GUIDs and names, so one registry holds them all', () => {
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    for (const info of providers) expect(() => registry.register(info)).not.toThrow();
    expect(new Set(providers.map((p) => p.guid.toLowerCase())).size).toBe(providers.length);
    expect(new Set(providers.map((p) => p.name.toLowerCase())).size).toBe(providers.length);
  });
});
