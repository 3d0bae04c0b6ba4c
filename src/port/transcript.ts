/**
 * A login script's live transcript on the port's trace provider
 * (`ScriptTranscript`, Verbose, keyword Script): each send, each wait (what
 * it waits for), each chunk received while waiting, and how the wait ended.
 * Bounded: the text is chat's `%v` form of at most `TRANSCRIPT_MAX_CHARS`
 * characters (the rest cut, `truncated` set; `bytes` gives the whole
 * length). A send made from the password (a `.scp` value tainted by
 * `$password`, a chat string under `\q`) is written as `********`: the
 * bytes never reach the trace. Costs nothing while no session listens.
 */
import { visible } from './chat/escapes.js';
import { PortEventDescriptor } from './events.js';
import type { Port } from './port.js';

/** Characters of text one transcript event carries at most. */
export const TRANSCRIPT_MAX_CHARS = 160;
/** What a password-tainted send shows instead of its bytes. */
export const TRANSCRIPT_SECRET = '********';

export type TranscriptStep = 'send' | 'expect' | 'received' | 'matched' | 'timeout' | 'failed';

export function traceTranscript(
  port: Port,
  step: TranscriptStep,
  text: string,
  secret = false,
): void {
  const trace = port.trace;
  const descriptor = PortEventDescriptor.transcript;
  if (trace === undefined || !trace.isEnabled(descriptor.level, descriptor.keywords)) return;
  if (secret) {
    trace.emit(descriptor, {
      port: port.name,
      step,
      text: TRANSCRIPT_SECRET,
      bytes: text.length,
      truncated: false,
    });
    return;
  }
  // Cut before escaping (bounded work), then again after (escapes lengthen it).
  const head = text.length > TRANSCRIPT_MAX_CHARS ? text.slice(0, TRANSCRIPT_MAX_CHARS) : text;
  const shown = visible(head);
  const cut = shown.length > TRANSCRIPT_MAX_CHARS ? shown.slice(0, TRANSCRIPT_MAX_CHARS) : shown;
  trace.emit(descriptor, {
    port: port.name,
    step,
    text: cut,
    bytes: text.length,
    truncated: cut.length < shown.length || head.length < text.length,
  });
}
