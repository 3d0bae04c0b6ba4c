import {
  ConfigError,
  defaultHostConfig,
  loadHostConfig,
  servicesFromConfig,
  startHost,
} from '../../node/host/index.js';
import type { CliCommand } from '../command.js';
import { packageVersion } from '../version.js';

export const upCommand: CliCommand = {
  path: ['up'],
  summary: 'run the netrx host (trace bus, HTTP status on 127.0.0.1:7340, configured services)',
  usage: 'up [--config FILE]',
  options: { config: { type: 'string', short: 'c' } },
  async run(values, _positionals, io) {
    const file = values['config'];
    let config;
    try {
      config = typeof file === 'string' ? await loadHostConfig(file) : defaultHostConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        io.err(`netrx: config ${error.message}`);
        return 1;
      }
      throw error;
    }
    const version = packageVersion();
    let host;
    try {
      host = await startHost(config, {
        version,
        log: io.err,
        services: servicesFromConfig(config),
      });
    } catch (error) {
      io.err(`netrx: ${(error as Error).message}`);
      return 1;
    }
    io.out(
      `netrx ${version} up (${typeof file === 'string' ? `config ${file}` : 'embedded default config'})`,
    );
    const width = Math.max(...host.started.map((s) => s.name.length));
    for (const service of host.started)
      io.out(`  ${service.name.padEnd(width)}  ${service.detail}`);
    io.out('press Ctrl-C to stop');
    await io.untilStopped();
    io.out('stopping…');
    await host.stop();
    io.out('stopped');
    return 0;
  },
};
