import { describe, expect, it } from 'vitest';
import { validateHostConfig } from '../host/config.js';
import { RadiusClientTable } from '../../radius/index.js';
import { startRadiusServer, workerCount } from './server.js';
import { standardWorkerSetup } from './worker-setup.js';

// The worker threads themselves run from dist/ (test/interop/radius-workers.test.ts); here the checks before any start.
describe('RADIUS workers: settings', () => {
  it("counts 'auto' as the available parallelism and refuses anything but 1..255", () => {
    expect(workerCount(undefined)).toBe(1);
    expect(workerCount(3)).toBe(3);
    expect(workerCount('auto')).toBeGreaterThanOrEqual(1);
    for (const bad of [0, 256, 1.5, Number.NaN]) expect(() => workerCount(bad)).toThrow(RangeError);
  });

  it('needs a worker setup and a plain client list for more than one worker', async () => {
    const base = { host: '127.0.0.1', port: 0, methods: [], workers: 2 };
    await expect(
      startRadiusServer({ ...base, clients: [{ address: '127.0.0.1', secret: 's' }] }),
    ).rejects.toThrow(/workerSetup/);
    await expect(
      startRadiusServer({
        ...base,
        clients: new RadiusClientTable([{ address: '127.0.0.1', secret: 's' }]),
        workerSetup: standardWorkerSetup({ methods: ['md5'] }),
      }),
    ).rejects.toThrow(/as a list/);
    await expect(
      startRadiusServer({
        ...base,
        udp: false,
        clients: [],
        workerSetup: standardWorkerSetup({ methods: ['md5'] }),
      }),
    ).rejects.toThrow(/udp: false needs radsec/);
  });

  it("accepts radius.workers 1..255 or 'auto' in netrx up's configuration, and names the key otherwise", () => {
    expect(validateHostConfig({ radius: { workers: 'auto' } }).radius.workers).toBe('auto');
    expect(validateHostConfig({ radius: { workers: 4 } }).radius.workers).toBe(4);
    expect(validateHostConfig({}).radius.workers).toBe(1);
    expect(() => validateHostConfig({ radius: { workers: 0 } })).toThrow(
      "radius.workers: expected 'auto' or an integer from 1 to 255, got 0",
    );
    expect(() => validateHostConfig({ radius: { workers: 'many' } })).toThrow(/radius\.workers/);
  });
});
