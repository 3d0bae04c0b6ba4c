import { stringify as toYaml } from 'yaml';
import {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  createHostLogger,
  defaultHostConfig,
  loadHostConfig,
  redactConfig,
  secretsOf,
  servicesFromConfig,
  startHost,
  type HostConfig,
} from '../../node/host/index.js';
import type { CliCommand } from '../command.js';
import { packageVersion } from '../version.js';
import { cliInvocation } from '../invocation.js';

export const upCommand: CliCommand = {
  path: ['up'],
  summary:
    'run the netrx host (HTTP status on 127.0.0.1:7340, RADIUS, capture, configured services); SIGHUP reloads the configuration; --print-config prints it and exits',
  usage: 'up [--config FILE] [--print-config [--show-secrets]]',
  options: {
    config: { type: 'string', short: 'c' },
    'print-config': { type: 'boolean' },
    'show-secrets': { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const file = values['config'];
    const load = async (): Promise<HostConfig> => {
      try {
        return typeof file === 'string' ? await loadHostConfig(file) : defaultHostConfig();
      } catch (error) {
        // `netrx up: config FILE: …`, prefixed as every command's errors are (run.ts).
        if (error instanceof ConfigError)
          throw new Error(`config ${error.message}`, { cause: error });
        throw error;
      }
    };
    let config = await load();
    if (values['print-config'] === true) {
      // Secrets as `***` unless asked for: this output gets pasted into tickets (review S4).
      // The embedded default's only secrets are the public demo ones.
      const shown = values['show-secrets'] === true ? config : redactConfig(config);
      io.out((typeof file === 'string' ? toYaml(shown) : DEFAULT_CONFIG_YAML).trimEnd());
      return 0;
    }
    const version = packageVersion();
    // JSON lines on standard error; the lines below on standard output are for people.
    const log = createHostLogger({
      level: config.log.level,
      write: (line) => io.err(line.replace(/\n$/, '')),
      secrets: secretsOf(config),
    });
    const logger = log.logger;
    // The effective configuration, for an operator at debug level: secrets censored.
    logger.debug({ config }, 'configuration');
    const host = await startHost(config, {
      version,
      logger,
      services: servicesFromConfig(config),
      cli: cliInvocation(process.argv[1], process.cwd()),
    });
    io.out(
      `netrx ${version} up (${typeof file === 'string' ? `config ${file}` : 'embedded default config'})`,
    );
    const width = Math.max(...host.started.map((s) => s.name.length));
    for (const service of host.started)
      io.out(`  ${service.name.padEnd(width)}  ${service.detail}`);
    // The one-time login link is a secret too: scrubbed from any log line that might quote it.
    const loginCode =
      host.loginUrl === undefined ? [] : [host.loginUrl.slice(host.loginUrl.indexOf('=') + 1)];
    log.setSecrets([...secretsOf(config), ...loginCode]);
    if (host.loginUrl !== undefined) {
      io.out(`  ${'login'.padEnd(width)}  ${host.loginUrl}`);
      io.out(
        `  ${''.padEnd(width)}  (one-time dashboard login link, 15 minutes; or type the http.token into the page)`,
      );
    }
    // The word the issue, README and the JSON log use (review L4).
    io.out('ready: press Ctrl-C to stop');
    logger.info({ url: host.url, services: host.started.map((s) => s.name) }, 'ready');

    // SIGHUP: read and check the file again; on an error keep what runs.
    let reloading = Promise.resolve();
    const reload = async () => {
      logger.info({ file: typeof file === 'string' ? file : null }, 'reload requested (SIGHUP)');
      let next: HostConfig;
      try {
        next = await load();
      } catch (error) {
        logger.error(`reload refused: ${(error as Error).message}; kept the running configuration`);
        // The message names the key, never its value (up-secrets.test.ts): safe in /health.
        host.reloadRefused((error as Error).message);
        return;
      }
      // Scrub the old and the new secrets while both may still be quoted.
      log.setSecrets([...secretsOf(config), ...secretsOf(next), ...loginCode]);
      const result = await host.reload(next, servicesFromConfig(next));
      if (result.error !== undefined) {
        log.setSecrets([...secretsOf(config), ...loginCode]);
        logger.error(`reload refused: ${result.error}`);
        return;
      }
      config = next;
      log.setSecrets([...secretsOf(config), ...loginCode]);
      logger.debug({ config }, 'configuration');
      const { kept, updated, restarted, started, stopped, failed } = result;
      (failed.length === 0 ? logger.info.bind(logger) : logger.error.bind(logger))(
        { kept, updated, restarted, started, stopped, failed },
        `reloaded: ${restarted.length} restarted, ${started.length} started, ${stopped.length} stopped, ${kept.length} kept${updated.length === 0 ? '' : `, ${updated.length} updated in place`}${failed.length === 0 ? '' : `, ${failed.length} failed`}`,
      );
    };
    const offReload = io.onReload?.(() => {
      reloading = reloading.then(reload);
    });
    await io.untilStopped();
    offReload?.();
    io.out('stopping…');
    await reloading;
    await host.stop();
    logger.info('stopped');
    io.out('stopped');
    return 0;
  },
};
