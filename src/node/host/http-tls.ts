/**
 * The HTTPS endpoint's certificate across reloads (review D2): `http.tls`
 * names two PEM files, and a renewal (certbot, an ACME client, an operator)
 * writes new contents to the same paths and sends SIGHUP. The listening
 * socket and every open connection stay: the new certificate goes to the
 * running server with `setSecureContext`, so only handshakes after the
 * reload see it. A file that cannot be read, does not parse, or holds a key
 * that is not the certificate's keeps the running certificate, and the
 * error names the key (`http.tls.cert: …`).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pemCertificates, pemPrivateKey } from './config-files.js';

/** PEM text of the served certificate (chain) and its private key. */
export interface TlsPems {
  readonly cert: string;
  readonly key: string;
}

/** Reads `http.tls`'s two files; a failure names the key and the errno. */
export async function readTlsFiles(files: TlsPems): Promise<TlsPems> {
  const read = (key: string, file: string) =>
    readFile(file, 'utf8').catch((error: unknown) => {
      throw new Error(
        `http: ${key} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    });
  return {
    cert: await read('http.tls.cert', files.cert),
    key: await read('http.tls.key', files.key),
  };
}

/** Why `pems` cannot be served (naming the key), or undefined when they can. */
export function tlsProblem(pems: TlsPems, files: TlsPems): string | undefined {
  const certificates = pemCertificates(pems.cert);
  if (typeof certificates === 'string')
    return `http.tls.cert: ${JSON.stringify(files.cert)} ${certificates}`;
  const key = pemPrivateKey(pems.key);
  if (typeof key === 'string') return `http.tls.key: ${JSON.stringify(files.key)} ${key}`;
  if (certificates[0]?.checkPrivateKey(key) !== true)
    return `http.tls.key: ${JSON.stringify(files.key)} is not the private key of the certificate in http.tls.cert (${JSON.stringify(files.cert)})`;
  return undefined;
}

function digest(pems: TlsPems): string {
  return createHash('sha256').update(pems.cert).update('\0').update(pems.key).digest('hex');
}

/** What /health shows of the served certificate. */
export interface TlsStatus {
  /** SHA-256 of the leaf certificate (as `openssl x509 -fingerprint -sha256` prints it). */
  readonly fingerprint256: string;
  readonly notAfter: string;
  /** Reloads that put a renewed certificate in service. */
  readonly renewed: number;
  /** Reloads refused for a renewed file that could not be served. */
  readonly refused: number;
}

/** The served PEMs, re-read on every reload and swapped in when their contents changed. */
export class TlsRotation {
  private served: string;
  private leaf: X509Certificate | undefined;
  private renewed = 0;
  private refused = 0;

  constructor(
    private readonly files: TlsPems,
    initial: TlsPems,
    /** Puts PEMs in service (`server.setSecureContext`); throws when OpenSSL refuses them. */
    private readonly apply: (pems: TlsPems) => void,
  ) {
    this.served = digest(initial);
    this.leaf = leafOf(initial);
  }

  /**
   * Re-reads the files: 'unchanged', or 'renewed' once the new certificate
   * serves new handshakes. Throws (naming the key) and keeps the running
   * certificate when the new files cannot be served.
   */
  async reload(): Promise<'unchanged' | 'renewed'> {
    let pems: TlsPems;
    try {
      pems = await readTlsFiles(this.files);
    } catch (error) {
      this.refused++;
      throw new Error(
        `${(error as Error).message.replace(/^http: /, '')}; kept the running certificate`,
        {
          cause: error,
        },
      );
    }
    if (digest(pems) === this.served) return 'unchanged';
    const problem = tlsProblem(pems, this.files);
    try {
      if (problem !== undefined) throw new Error(problem);
      this.apply(pems);
    } catch (error) {
      this.refused++;
      const message = (error as Error).message;
      throw new Error(
        `${message.startsWith('http.tls') ? message : `http.tls: ${message}`}; kept the running certificate`,
        { cause: error },
      );
    }
    this.served = digest(pems);
    this.leaf = leafOf(pems);
    this.renewed++;
    return 'renewed';
  }

  status(): TlsStatus {
    return {
      fingerprint256: this.leaf?.fingerprint256 ?? '',
      notAfter: this.leaf?.validTo ?? '',
      renewed: this.renewed,
      refused: this.refused,
    };
  }
}

function leafOf(pems: TlsPems): X509Certificate | undefined {
  const certificates = pemCertificates(pems.cert);
  return typeof certificates === 'string' ? undefined : certificates[0];
}
