/**
 * The key that seals shared EAP conversation state (AES-256-GCM): 32
 * octets, given as 64 hex digits or as the path of a file holding either
 * the 32 raw octets or the 64 hex digits (a trailing newline allowed).
 * `head -c 32 /dev/urandom > state.key` makes one. The key is never logged:
 * errors name the setting, not its value.
 */
import { readFileSync } from 'node:fs';
import { STATE_KEY_OCTETS } from '../../radius/index.js';
import { NetrxError } from '../../runtime/index.js';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** The key `value` names; throws ERR_RADIUS_STATE_KEY naming `setting` when it is not 32 octets. */
export function loadStateKey(setting: string, value: string): Uint8Array {
  if (HEX_KEY.test(value)) return Uint8Array.from(Buffer.from(value, 'hex'));
  let bytes: Buffer;
  try {
    bytes = readFileSync(value);
  } catch (error) {
    throw new NetrxError(
      'ERR_RADIUS_STATE_KEY',
      `${setting}: not 64 hex digits, and no readable key file there (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const text = bytes.toString('latin1').trim();
  if (bytes.length !== STATE_KEY_OCTETS && HEX_KEY.test(text)) {
    return Uint8Array.from(Buffer.from(text, 'hex'));
  }
  if (bytes.length !== STATE_KEY_OCTETS) {
    throw new NetrxError(
      'ERR_RADIUS_STATE_KEY',
      `${setting}: the key must be ${STATE_KEY_OCTETS} octets (or 64 hex digits): the file holds ${bytes.length}`,
    );
  }
  // Deliberate copy out of the Buffer, which is then wiped.
  const key = Uint8Array.from(bytes);
  bytes.fill(0);
  return key;
}
