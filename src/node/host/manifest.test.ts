import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { startHost } from './host.js';
import { servicesFromConfig } from './services.js';
import { RadiusEventDescriptor } from '../../radius/events.js';
import { providerManifest } from './manifest.js';

describe('providerManifest', () => {
  const manifest = providerManifest();

  it('lists every provider once, by distinct GUID and name', () => {
    expect(new Set(manifest.map((p) => p.guid)).size).toBe(manifest.length);
    expect(new Set(manifest.map((p) => p.name)).size).toBe(manifest.length);
    expect(manifest.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'netrx-link',
        'netrx-radius',
        'netrx-eap',
        'netrx-websocket',
        'netrx-port',
      ]),
    );
  });

  it('gives each event its name, level, hex keywords and fields (building it checks ids are unique per provider)', () => {
    const radius = manifest.find((p) => p.name === 'netrx-radius');
    expect(radius?.events.find((e) => e.name === 'RadiusSessionEnded')).toEqual({
      id: RadiusEventDescriptor.sessionEnded.id,
      name: 'RadiusSessionEnded',
      level: RadiusEventDescriptor.sessionEnded.level,
      keywords: RadiusEventDescriptor.sessionEnded.keywords.toString(16),
      fields: RadiusEventDescriptor.sessionEnded.fields,
    });
  });

  it('is plain JSON (no bigint)', () => {
    expect(() => JSON.stringify(manifest)).not.toThrow();
  });

  it('names every provider the default host registers, so the dashboard decodes all of its events', async () => {
    const config = validateHostConfig({
      http: { port: 0 },
      radius: { port: 0 },
      capture: { rpc: { port: 0 } },
    });
    const host = await startHost(config, {
      version: '0.0.0',
      services: servicesFromConfig(config),
    });
    try {
      const known = new Set(manifest.map((p) => p.guid));
      const registered = host.trace.providers().map((p) => `${p.name} ${p.guid}`);
      expect(registered.length).toBeGreaterThan(3);
      expect(registered.filter((entry) => !known.has(entry.split(' ')[1] ?? ''))).toEqual([]);
    } finally {
      await host.stop();
    }
  });
});
