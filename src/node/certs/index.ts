/**
 * netrx/node certificates: a dependency-free X.509 v3 builder on node:crypto
 * (`issueCertificate`) and the throwaway demo set `netrx certs demo` writes:
 * a CA, a server certificate (serverAuth) and a client certificate
 * (clientAuth), as DIR/ca.pem, server.pem, server-key.pem, client.pem,
 * client-key.pem.
 */
export {
  ExtendedKeyUsage,
  generateKey,
  issueCertificate,
  type CertificateSpec,
  type IssuedCertificate,
  type KeyAlgorithm,
} from './x509.js';
export {
  DEMO_CERT_FILES,
  DEMO_CLIENT_NAME,
  DEMO_SERVER_NAME,
  createDemoCertificates,
  writeDemoCertificates,
  type DemoCertificateOptions,
  type DemoCertificates,
} from './demo.js';
