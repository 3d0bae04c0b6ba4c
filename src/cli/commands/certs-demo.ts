import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEMO_CERT_FILES,
  DEMO_SERVER_NAME,
  writeDemoCertificates,
} from '../../node/certs/index.js';
import { integer, required } from '../args.js';
import { UsageError, type CliCommand } from '../command.js';
import { fileErrorLine } from '../files.js';

export const certsDemoCommand: CliCommand = {
  path: ['certs', 'demo'],
  summary: 'write a throwaway CA, server and client certificate for tests and the demo host',
  usage: 'certs demo --out DIR [--key ec|rsa] [--server-name NAME] [--days N] [--force]',
  options: {
    out: { type: 'string' },
    key: { type: 'string' },
    'server-name': { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const dir = required('--out', values['out']);
    const key = values['key'] ?? 'ec';
    if (key !== 'ec' && key !== 'rsa') {
      throw new UsageError(`--key: expected ec or rsa, got ${JSON.stringify(key)}`);
    }
    const serverName =
      typeof values['server-name'] === 'string' ? values['server-name'] : DEMO_SERVER_NAME;
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(serverName)) {
      throw new UsageError(`--server-name: expected a DNS name, got ${JSON.stringify(serverName)}`);
    }
    const days = values['days'] === undefined ? 365 : integer('--days', values['days'], 1, 36500);
    // Keys of an earlier run may be in use: replacing them takes --force.
    const existing = DEMO_CERT_FILES.filter((file) => existsSync(join(dir, file)));
    if (existing.length > 0 && values['force'] !== true) {
      io.err(
        `netrx certs demo: ${join(dir, existing[0] as string)}: already exists (--force replaces the set)`,
      );
      return 1;
    }
    try {
      const { files } = await writeDemoCertificates(dir, { keyAlgorithm: key, serverName, days });
      for (const file of files) io.out(file);
      io.err(
        'netrx certs demo: throwaway keys without a passphrase: for tests only, never commit them',
      );
      return 0;
    } catch (error) {
      io.err(`netrx certs demo: ${fileErrorLine(dir, error)}`);
      return 1;
    }
  },
};
