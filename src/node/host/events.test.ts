import { describe, expect, it } from 'vitest';
import { EAP_PROVIDER } from '../../eap/index.js';
import { EAPOL_PROVIDER } from '../../eapol/index.js';
import { LINK_PROVIDER, PACKET_CAPTURE_PROVIDER_GUID } from '../../link/index.js';
import { PORT_PROVIDER } from '../../port/index.js';
import { TraceRegistry } from '../../trace/index.js';
import { VirtualClock } from '../../testing/index.js';
import { WEBSOCKET_PROVIDER } from '../../websocket/index.js';
import { HOST_PROVIDER } from './events.js';

describe('trace provider GUIDs', () => {
  it('every netrx provider has its own GUID, so one host registry takes them all', () => {
    // netrx-host once had netrx-eap's GUID: `netrx up` with an EAP user then failed to register it.
    const providers = [
      HOST_PROVIDER,
      EAP_PROVIDER,
      EAPOL_PROVIDER,
      LINK_PROVIDER,
      PORT_PROVIDER,
      WEBSOCKET_PROVIDER,
    ];
    const guids = [...providers.map((p) => p.guid), PACKET_CAPTURE_PROVIDER_GUID];
    expect(new Set(guids).size).toBe(guids.length);
    const registry = new TraceRegistry({ clock: new VirtualClock() });
    for (const provider of providers) expect(() => registry.register(provider)).not.toThrow();
  });
});
