/**
 * A small X.509 v3 certificate builder (RFC 5280) on node:crypto's keys and
 * signatures: enough DER to make a throwaway CA and server/client
 * certificates for tests and the demo host, with no openssl binary and no
 * dependency. Not a general ASN.1 library: it writes the few structures a
 * certificate needs and nothing parses them here (Node's X509Certificate and
 * OpenSSL do that).
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';

// --- DER -------------------------------------------------------------------

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const bitString = (content: Buffer, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.of(unusedBits), content);
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content);
const derTrue = Buffer.of(0x01, 0x01, 0xff);
const derNull = Buffer.of(0x05, 0x00);

function integer(bytes: Buffer): Buffer {
  let body = bytes;
  while (body.length > 1 && body[0] === 0 && ((body[1] as number) & 0x80) === 0)
    body = body.subarray(1);
  if (((body[0] as number) & 0x80) !== 0) body = Buffer.concat([Buffer.of(0), body]);
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128))
      group.unshift(0x80 | (n & 0x7f));
    out.push(...group);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

// --- X.509 -----------------------------------------------------------------

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

export const ExtendedKeyUsage = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export type KeyAlgorithm = 'ec' | 'rsa';

export interface CertificateSpec {
  readonly commonName: string;
  readonly organization?: string;
  /** dNSName entries of the subjectAltName extension. */
  readonly dnsNames?: readonly string[];
  /** Extended key usage OIDs; empty or absent: no extension. */
  readonly extendedKeyUsage?: readonly string[];
  readonly isCa?: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly key: KeyObject;
  /** DER of the subject Name, the issuer of what this one signs. */
  readonly subjectName: Buffer;
  readonly subjectKeyId: Buffer;
}

export function generateKey(algorithm: KeyAlgorithm): KeyObject {
  return algorithm === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

function name(commonName: string, organization: string | undefined): Buffer {
  const rdns = [];
  if (organization !== undefined)
    rdns.push(set(sequence(oid(OID.organization), utf8String(organization))));
  rdns.push(set(sequence(oid(OID.commonName), utf8String(commonName))));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [derTrue] : []), octetString(value));
}

/**
 * Issues a certificate for `key` (a private key; its public half goes into
 * the certificate), signed by `issuer` (undefined: self-signed). SHA-256
 * signatures: ECDSA for EC keys, PKCS#1 v1.5 for RSA.
 */
export function issueCertificate(
  spec: CertificateSpec,
  key: KeyObject,
  issuer?: IssuedCertificate,
): IssuedCertificate {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits; the
  // SPKI's trailing BIT STRING is its last element, so hashing its value is hashing the bits.
  const subjectKeyId = createHash('sha1').update(spkiKeyBits(spki)).digest();
  const signer = issuer?.key ?? key;
  const rsa = signer.asymmetricKeyType === 'rsa';
  const algorithm = rsa
    ? sequence(oid(OID.sha256WithRsa), derNull)
    : sequence(oid(OID.ecdsaWithSha256));
  const subjectName = name(spec.commonName, spec.organization);
  const ec = key.asymmetricKeyType === 'ec';
  const extensions = [
    extension(OID.basicConstraints, true, spec.isCa === true ? sequence(derTrue) : sequence()),
    // keyCertSign|cRLSign for a CA; digitalSignature (+keyEncipherment for RSA) for a leaf.
    extension(
      OID.keyUsage,
      true,
      spec.isCa === true
        ? bitString(Buffer.of(0x06), 1)
        : ec
          ? bitString(Buffer.of(0x80), 7)
          : bitString(Buffer.of(0xa0), 5),
    ),
    extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyId)),
  ];
  if (issuer !== undefined) {
    extensions.push(
      extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, issuer.subjectKeyId))),
    );
  }
  if (spec.extendedKeyUsage !== undefined && spec.extendedKeyUsage.length > 0) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(...spec.extendedKeyUsage.map(oid))));
  }
  if (spec.dnsNames !== undefined && spec.dnsNames.length > 0) {
    extensions.push(
      extension(
        OID.subjectAltName,
        false,
        sequence(...spec.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, 'ascii')))),
      ),
    );
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.of(2))),
    integer(serial),
    algorithm,
    issuer?.subjectName ?? subjectName,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    subjectName,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, signer);
  const der = sequence(tbs, algorithm, bitString(signature));
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key,
    subjectName,
    subjectKeyId,
  };
}

/** The bits of the subjectPublicKey BIT STRING at the end of an SPKI. */
function spkiKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the first element.
  let offset = headerLength(spki, 0);
  offset += elementLength(spki, offset);
  const bitStringHeader = headerLength(spki, offset);
  return spki.subarray(offset + bitStringHeader + 1);
}

function headerLength(der: Buffer, offset: number): number {
  const first = der[offset + 1] as number;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function elementLength(der: Buffer, offset: number): number {
  const first = der[offset + 1] as number;
  if (first < 0x80) return 2 + first;
  let length = 0;
  for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (der[offset + 2 + i] as number);
  return 2 + (first & 0x7f) + length;
}
