/**
 * Throwaway certificates for tests and the demo host (`netrx certs demo`): a
 * CA, a server certificate (serverAuth, a DNS name) and a client certificate
 * (clientAuth) it signed. Never for production: the keys sit in files
 * without a passphrase.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ExtendedKeyUsage,
  generateKey,
  issueCertificate,
  type IssuedCertificate,
  type KeyAlgorithm,
} from './x509.js';

export const DEMO_SERVER_NAME = 'radius.netrx.test';
export const DEMO_CLIENT_NAME = 'bob';

export interface DemoCertificateOptions {
  /** Key type for all three; default 'ec' (P-256: fast). 'rsa' is RSA-2048. */
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly serverName?: string;
  readonly clientName?: string;
  /** Validity in days from now; default 365. */
  readonly days?: number;
  /** Clock for the validity window (tests make expired certificates with it); default now. */
  readonly now?: Date;
}

export interface DemoCertificates {
  readonly ca: IssuedCertificate;
  readonly server: IssuedCertificate;
  readonly client: IssuedCertificate;
}

const DAY_MS = 86_400_000;

export function createDemoCertificates(options: DemoCertificateOptions = {}): DemoCertificates {
  const algorithm = options.keyAlgorithm ?? 'ec';
  const now = options.now ?? new Date();
  const days = options.days ?? 365;
  // An hour of slack before now: clocks of the machines using them differ.
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const ca = issueCertificate(
    { commonName: 'netrx demo CA', organization: 'netrx demo', isCa: true, notBefore, notAfter },
    generateKey(algorithm),
  );
  const serverName = options.serverName ?? DEMO_SERVER_NAME;
  const server = issueCertificate(
    {
      commonName: serverName,
      organization: 'netrx demo',
      dnsNames: [serverName],
      extendedKeyUsage: [ExtendedKeyUsage.serverAuth],
      notBefore,
      notAfter,
    },
    generateKey(algorithm),
    ca,
  );
  const client = issueCertificate(
    {
      commonName: options.clientName ?? DEMO_CLIENT_NAME,
      organization: 'netrx demo',
      extendedKeyUsage: [ExtendedKeyUsage.clientAuth],
      notBefore,
      notAfter,
    },
    generateKey(algorithm),
    ca,
  );
  return { ca, server, client };
}

/** The files `netrx certs demo` writes, by name. */
export const DEMO_CERT_FILES = [
  'ca.pem',
  'server.pem',
  'server-key.pem',
  'client.pem',
  'client-key.pem',
] as const;

/** Writes DIR/ca.pem, server.pem, server-key.pem, client.pem, client-key.pem (keys mode 0600). */
export async function writeDemoCertificates(
  dir: string,
  options: DemoCertificateOptions = {},
): Promise<{ readonly files: readonly string[]; readonly certificates: DemoCertificates }> {
  const certificates = createDemoCertificates(options);
  await mkdir(dir, { recursive: true });
  const contents: Record<(typeof DEMO_CERT_FILES)[number], string> = {
    'ca.pem': certificates.ca.certPem,
    'server.pem': certificates.server.certPem,
    'server-key.pem': certificates.server.keyPem,
    'client.pem': certificates.client.certPem,
    'client-key.pem': certificates.client.keyPem,
  };
  const files: string[] = [];
  for (const file of DEMO_CERT_FILES) {
    const path = join(dir, file);
    const secret = file.endsWith('-key.pem');
    await writeFile(path, contents[file], { mode: secret ? 0o600 : 0o644 });
    // writeFile's mode applies only to a new file: an existing one keeps its mode unless set.
    if (secret) await chmod(path, 0o600);
    files.push(path);
  }
  return { files, certificates };
}
