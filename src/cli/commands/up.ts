import { stringify as toYaml } from 'yaml';
import {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  defaultHostConfig,
  loadHostConfig,
  servicesFromConfig,
  startHost,
} from '../../node/host/index.js';
import type { CliCommand } from '../command.js';
import { packageVersion } from '../version.js';

export const upCommand: CliCommand = {
  path: ['up'],
  summary:
    'run the netrx host (trace bus, HTTP status on 127.0.0.1:7340, configured services); --print-config prints its configuration and exits',
  usage: 'up [--config FILE] [--print-config]',
  options: {
    config: { type: 'string', short: 'c' },
    'print-config': { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const file = values['config'];
    let config;
    try {
      config = typeof file === 'string' ? await loadHostConfig(file) : defaultHostConfig();
    } catch (error) {
      // `netrx up: config FILE: …`, prefixed as every command's errors are (run.ts).
      if (error instanceof ConfigError)
        throw new Error(`config ${error.message}`, { cause: error });
      throw error;
    }
    if (values['print-config'] === true) {
      io.out((typeof file === 'string' ? toYaml(config) : DEFAULT_CONFIG_YAML).trimEnd());
      return 0;
    }
    const version = packageVersion();
    const host = await startHost(config, {
      version,
      log: io.err,
      services: servicesFromConfig(config),
    });
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
