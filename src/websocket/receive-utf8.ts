/**
 * UTF-8 checking of a text message as it arrives: a message whole in one
 * piece goes to the host's fast whole-buffer check when there is one
 * (`isUtf8`, Node's `buffer.isUtf8`); pieces go through the incremental
 * validator, so a message fails at the first bad byte, before it is whole.
 * Made on a connection's first text message.
 */
import { Utf8Validator } from '../wire/websocket/index.js';

export class TextCheck {
  /** Made on the first text message that arrives in pieces. */
  private validator: Utf8Validator | undefined;
  /** No piece of this message has been checked yet. */
  private fresh = true;

  /** A text message starts. */
  begin(): void {
    this.fresh = true;
  }

  /** Whether the message is still valid UTF-8 after `piece` (`end`: its last). */
  check(
    piece: Uint8Array,
    end: boolean,
    isUtf8: ((bytes: Uint8Array) => boolean) | undefined,
  ): boolean {
    if (end && this.fresh && isUtf8 !== undefined) return isUtf8(piece);
    this.fresh = false;
    const utf8 = (this.validator ??= new Utf8Validator());
    // Nothing to reset after a message that ended valid: `end()` is true only
    // in the validator's initial state, and each message's header calls
    // `begin` again.
    return utf8.push(piece) && (!end || utf8.end());
  }
}
