/**
 * The cryptography a TLS server does per EAP authentication, as Node
 * `crypto` calls (bench/eap-floor.ts): the same RSA-2048 certificates, the
 * same suites and groups as bench/eap's servers negotiate (TLS 1.2
 * ECDHE-RSA-AES128-GCM-SHA256 with X25519; TLS 1.3 TLS_AES_256_GCM_SHA384
 * with X25519 and rsa_pss_rsae_sha256). Only the server's own operations
 * count: its signature, its half of the key exchange, the verification of
 * the client's chain and CertificateVerify (EAP-TLS), the transcript hash,
 * the PRF or HKDF key schedule, the key export for the MSK/EMSK, and the
 * AES-GCM of the records it seals and opens. What the peer computes is the
 * peer's cost. Each Node call adds its own binding crossing (a few µs), so
 * this floor sits a little above OpenSSL's (`openssl speed`, same bench).
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';

export interface FloorCertificates {
  readonly serverKeyPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly caCertPem: string;
}

/** One server operation, and how many times a case runs it per authentication. */
export interface FloorOperation {
  readonly name: string;
  readonly run: () => void;
}

export type FloorCase = 'PEAP/MSCHAPv2 TLS 1.2' | 'EAP-TLS 1.2' | 'EAP-TLS 1.3';

/** Handshake bytes hashed into the transcript per authentication (both servers' certificates alike, about 3–4 KB). */
const TRANSCRIPT_BYTES = 4096;

export function floorOperations(certs: FloorCertificates): {
  readonly operations: readonly FloorOperation[];
  readonly cases: Readonly<Record<FloorCase, readonly (readonly [string, number])[]>>;
} {
  const serverKey = createPrivateKey(certs.serverKeyPem);
  const clientKey = createPrivateKey(certs.clientKeyPem);
  const clientPublic = createPublicKey(certs.clientCertPem);
  const caPublic = new X509Certificate(certs.caCertPem).publicKey;
  const clientDer = new X509Certificate(certs.clientCertPem).raw;
  const toSign = randomBytes(32 + 32 + 4 + 32);
  const pss = {
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  };
  const signedPkcs1 = sign('sha256', toSign, clientKey);
  const signedPss = sign('sha256', toSign, { key: clientKey, ...pss });
  // The peer's X25519 share: its key generation is the peer's cost, not the server's.
  const peerShare = generateKeyPairSync('x25519').publicKey;
  const transcript = randomBytes(TRANSCRIPT_BYTES);
  const secret48 = randomBytes(48);
  const label = Buffer.from('client EAP encryption');
  const seed = randomBytes(64);

  const x25519 = (): void => {
    const own = generateKeyPairSync('x25519');
    diffieHellman({ privateKey: own.privateKey, publicKey: peerShare });
  };
  const clientChain = (): void => {
    // Parsing the client's certificate and checking the CA's signature on it (depth 1).
    const cert = new X509Certificate(clientDer);
    if (!cert.verify(caPublic)) throw new Error('floor: client certificate does not verify');
  };
  const operations: FloorOperation[] = [
    {
      name: 'RSA-2048 sign, PKCS#1 v1.5 SHA-256 (TLS 1.2 ServerKeyExchange)',
      run: () => void sign('sha256', toSign, serverKey),
    },
    {
      name: 'RSA-2048 sign, PSS SHA-256 (TLS 1.3 CertificateVerify)',
      run: () => void sign('sha256', toSign, { key: serverKey, ...pss }),
    },
    { name: 'X25519 key pair + shared secret', run: x25519 },
    { name: 'client certificate: parse + RSA-2048 verify by the CA', run: clientChain },
    {
      name: 'client CertificateVerify: RSA-2048 verify, PKCS#1 v1.5',
      run: () => check(verify('sha256', toSign, clientPublic, signedPkcs1)),
    },
    {
      name: 'client CertificateVerify: RSA-2048 verify, PSS',
      run: () => check(verify('sha256', toSign, { key: clientPublic, ...pss }, signedPss)),
    },
    {
      name: `transcript SHA-256 over ${TRANSCRIPT_BYTES} B`,
      run: () => void createHash('sha256').update(transcript).digest(),
    },
    {
      name: `transcript SHA-384 over ${TRANSCRIPT_BYTES} B`,
      run: () => void createHash('sha384').update(transcript).digest(),
    },
    // Master secret 48 B, key block 40 B, two Finished 12 B, MSK+EMSK export 128 B.
    {
      name: 'TLS 1.2 PRF (master, key block, 2 Finished, 128 B export)',
      run: () => tls12Prf(secret48, label, seed),
    },
    // Early, handshake, master secrets; 4 traffic secrets with keys and IVs; 2 Finished; exporter.
    { name: 'TLS 1.3 HKDF-SHA384 key schedule (+ exporter)', run: () => tls13Schedule(secret48) },
    { name: 'AES-128-GCM seal or open, one 64 B record', run: () => gcm('aes-128-gcm', 16, 64) },
    { name: 'AES-256-GCM seal or open, one 64 B record', run: () => gcm('aes-256-gcm', 32, 64) },
    {
      name: 'AES-256-GCM seal or open, one 1024 B record',
      run: () => gcm('aes-256-gcm', 32, 1024),
    },
  ];
  const names = operations.map((operation) => operation.name);
  const op = (prefix: string): string => {
    const found = names.find((name) => name.startsWith(prefix));
    if (found === undefined) throw new Error(`floor: no operation ${prefix}`);
    return found;
  };
  return {
    operations,
    cases: {
      // Finished both ways, then about four tunnel round trips (identity, MSCHAPv2
      // challenge/response, success/ack, result TLV) each way: 10 records. The inner
      // MSCHAPv2 (MD4, DES, SHA-1 of a few dozen bytes) is below a microsecond.
      'PEAP/MSCHAPv2 TLS 1.2': [
        [op('RSA-2048 sign, PKCS#1'), 1],
        [op('X25519'), 1],
        [op('transcript SHA-256'), 1],
        [op('TLS 1.2 PRF'), 1],
        [op('AES-128-GCM'), 10],
      ],
      'EAP-TLS 1.2': [
        [op('RSA-2048 sign, PKCS#1'), 1],
        [op('X25519'), 1],
        [op('client certificate'), 1],
        [op('client CertificateVerify: RSA-2048 verify, PKCS#1'), 1],
        [op('transcript SHA-256'), 1],
        [op('TLS 1.2 PRF'), 1],
        [op('AES-128-GCM'), 2],
      ],
      // Sealed: EncryptedExtensions, CertificateRequest, CertificateVerify, Finished, the
      // commitment byte (64 B records) and the Certificate (1 KB); opened: the client's
      // Certificate (1 KB), CertificateVerify and Finished.
      'EAP-TLS 1.3': [
        [op('RSA-2048 sign, PSS'), 1],
        [op('X25519'), 1],
        [op('client certificate'), 1],
        [op('client CertificateVerify: RSA-2048 verify, PSS'), 1],
        [op('transcript SHA-384'), 1],
        [op('TLS 1.3 HKDF'), 1],
        [op('AES-256-GCM seal or open, one 64 B'), 7],
        [op('AES-256-GCM seal or open, one 1024 B'), 2],
      ],
    },
  };
}

function check(ok: boolean): void {
  if (!ok) throw new Error('floor: a signature did not verify');
}

/** P_SHA256 (RFC 5246 §5) for `length` bytes. */
function pSha256(secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let a = seed;
  let produced = 0;
  while (produced < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(seed).digest();
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function tls12Prf(secret: Buffer, label: Buffer, seed: Buffer): void {
  const labelled = Buffer.concat([label, seed]);
  const master = pSha256(secret, labelled, 48);
  pSha256(master, labelled, 40); // key block: two 16 B keys, two 4 B IVs
  pSha256(master, labelled, 12); // client Finished
  pSha256(master, labelled, 12); // server Finished
  pSha256(master, labelled, 128); // MSK + EMSK
}

function hmac384(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha384', key).update(data).digest();
}

function tls13Schedule(shared: Buffer): void {
  const zero = Buffer.alloc(48);
  const label = Buffer.from('tls13 derived');
  const early = hmac384(zero, zero);
  const handshake = hmac384(hmac384(early, label), shared);
  const master = hmac384(hmac384(handshake, label), zero);
  // Client and server handshake and application traffic secrets, each with a key and an IV.
  for (const base of [handshake, handshake, master, master]) {
    const traffic = hmac384(base, label);
    hmac384(traffic, label);
    hmac384(traffic, label);
  }
  // Two Finished keys and MACs, exporter and resumption master secrets, the exporter.
  for (let i = 0; i < 2; i++) hmac384(hmac384(handshake, label), label);
  hmac384(master, label);
  hmac384(master, label);
  hmac384(hmac384(hmac384(master, label), label), label);
}

const GCM_KEY = randomBytes(32);
const GCM_NONCE = randomBytes(12);
const GCM_AAD = randomBytes(5);
const GCM_DATA = randomBytes(1024);

/** One record sealed (opening is the same cipher pass and tag: `gcmOpen` checks that). */
function gcm(cipher: 'aes-128-gcm' | 'aes-256-gcm', keyLength: number, bytes: number): void {
  const sealer = createCipheriv(cipher, GCM_KEY.subarray(0, keyLength), GCM_NONCE);
  sealer.setAAD(GCM_AAD);
  sealer.update(GCM_DATA.subarray(0, bytes));
  sealer.final();
  sealer.getAuthTag();
}

/** One 64 B AES-128-GCM record opened, for comparison with `gcm`. */
export function gcmOpen(): () => void {
  const key = GCM_KEY.subarray(0, 16);
  const sealer = createCipheriv('aes-128-gcm', key, GCM_NONCE);
  sealer.setAAD(GCM_AAD);
  const sealed = Buffer.concat([sealer.update(GCM_DATA.subarray(0, 64)), sealer.final()]);
  const tag = sealer.getAuthTag();
  return () => {
    const opener = createDecipheriv('aes-128-gcm', key, GCM_NONCE);
    opener.setAAD(GCM_AAD);
    opener.setAuthTag(tag);
    opener.update(sealed);
    opener.final();
  };
}

/** Median CPU µs (user + system) per call of `run`, over `rounds` rounds of `iterations`. */
export function cpuMicrosPerCall(run: () => void, iterations: number, rounds: number): number {
  for (let i = 0; i < Math.min(50, iterations); i++) run(); // warm-up
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) run();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}
