import { describe, expect, it } from 'vitest';
import { validateHostConfig } from './config.js';
import { planReload } from './reload.js';
import { servicesFromConfig } from './services.js';

const clustered = (servers: string[], extra: Record<string, unknown> = {}) =>
  validateHostConfig({
    radius: { cluster: { enabled: true, serverId: 's1' } },
    capture: { nats: { publish: ['default'] } },
    cluster: { nats: { servers, ...extra } },
  });

describe('the nats service (cluster.nats) in the host', () => {
  it('runs first, only with servers, and radius and capture depend on it only when they use NATS', () => {
    const names = (config: ReturnType<typeof validateHostConfig>) =>
      servicesFromConfig(config).map((s) => s.name);
    expect(names(validateHostConfig({}))).not.toContain('nats');
    expect(names(clustered(['nats://127.0.0.1:4222']))[0]).toBe('nats');
    const plain = servicesFromConfig(
      validateHostConfig({ cluster: { nats: { servers: ['nats://127.0.0.1:4222'] } } }),
    );
    expect(plain.find((s) => s.name === 'radius')?.dependsOn).toBeUndefined();
    expect(plain.find((s) => s.name === 'capture')?.dependsOn).toBeUndefined();
  });

  it('a reload that changes cluster.nats restarts the connection and radius and capture with it', () => {
    const running = servicesFromConfig(clustered(['nats://127.0.0.1:4222']));
    const plan = planReload(
      running,
      servicesFromConfig(clustered(['nats://127.0.0.1:4222'], { name: 'renamed' })),
    );
    expect([...plan.result.restarted].sort()).toEqual(['capture', 'nats', 'radius']);
    const same = planReload(running, servicesFromConfig(clustered(['nats://127.0.0.1:4222'])));
    expect(same.result.restarted).toEqual([]);
  });
});
