/**
 * netrx/radius: RADIUS client and server cores carrying EAP (RFC 2865, 3579).
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
