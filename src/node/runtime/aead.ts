/**
 * AES-256-GCM for sealing EAP conversation state (netrx/radius
 * conversation-seal.ts), on node:crypto: synchronous, as the core wants.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { ConversationAead } from '../../radius/conversation-seal.js';
import { SEAL_TAG_OCTETS, STATE_KEY_OCTETS } from '../../radius/conversation-seal.js';

/** An AEAD over a 32-byte key (the key is copied: the caller may wipe its own). */
export function aes256GcmAead(key: Uint8Array): ConversationAead {
  if (key.length !== STATE_KEY_OCTETS) {
    throw new RangeError(`AES-256-GCM key must be ${STATE_KEY_OCTETS} octets: got ${key.length}`);
  }
  const secret = Buffer.from(key); // deliberate copy, kept for the process's life
  return {
    // Names the key in the sealed header without giving it away: one octet of its digest.
    keyId: createHash('sha256').update(secret).digest()[0] as number,
    seal(nonce, plaintext, associatedData) {
      const cipher = createCipheriv('aes-256-gcm', secret, nonce, {
        authTagLength: SEAL_TAG_OCTETS,
      });
      cipher.setAAD(associatedData);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    },
    open(nonce, sealed, associatedData) {
      if (sealed.length < SEAL_TAG_OCTETS) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', secret, nonce, {
        authTagLength: SEAL_TAG_OCTETS,
      });
      decipher.setAAD(associatedData);
      decipher.setAuthTag(sealed.subarray(sealed.length - SEAL_TAG_OCTETS));
      try {
        const body = Buffer.concat([
          decipher.update(sealed.subarray(0, sealed.length - SEAL_TAG_OCTETS)),
          decipher.final(),
        ]);
        return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      } catch {
        // The tag did not verify: wrong key, wrong associated data, or altered bytes.
        return undefined;
      }
    },
  };
}
