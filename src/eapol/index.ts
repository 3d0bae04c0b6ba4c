/**
 * netrx/eapol: the IEEE 802.1X port access entity, authenticator and
 * supplicant, as bindings on netrx/link carrying netrx/eap.
 *
 * Not built yet: this entry point exists so the package's subpath exports are
 * stable from the first release.
 */
export {};
