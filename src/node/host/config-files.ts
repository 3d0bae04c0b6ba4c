/**
 * What is wrong with the contents of a PEM file the configuration names, so
 * the check can refuse it naming the key (`http.tls.cert: …`) instead of
 * the start failing later with OpenSSL's `PEM routines::no start line` and
 * no key at all (review D5). Parsed with node:crypto, as TLS will parse it.
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file (a CA bundle may hold several), or why there are none. */
export function pemCertificates(text: string): X509Certificate[] | string {
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) return 'is not a PEM certificate (no BEGIN CERTIFICATE block)';
  const certificates: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      return `certificate ${index + 1} of ${blocks.length} does not parse`;
    }
  }
  return certificates;
}

/** The private key of a PEM file, or why it is not one. */
export function pemPrivateKey(text: string): KeyObject | string {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    return 'is not a PEM private key (no BEGIN … PRIVATE KEY block)';
  try {
    return createPrivateKey(text);
  } catch (error) {
    // Node's words (an encrypted key needs a passphrase the host never has).
    return `the private key does not parse: ${(error as Error).message}`;
  }
}

/**
 * The contents of the files a service reads at start, as digests, for its
 * reload fingerprint: a users file, PEM file or script edited in place (the
 * way an operator adds a user, or rotates a certificate, and sends SIGHUP)
 * restarts the service that read it, as a changed key does (review D2). An
 * unreadable file counts as its errno, so it differs from any contents.
 */
export function filesFingerprint(files: readonly string[]): string[] {
  return files
    .filter((file) => file !== '')
    .map((file) => {
      try {
        return createHash('sha256').update(readFileSync(file)).digest('hex');
      } catch (error) {
        return `!${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`;
      }
    });
}
