/**
 * How the adapter reports what failed inside `indicate` without letting it
 * out (a binding, a tap or a release callback that threw, or a bug of its
 * own): a `HandlerFailed` event whose message is made safely (`String` of
 * the thrown value can itself throw) and cut to a bug report's length.
 */
import type { TraceProvider } from '../trace/index.js';
import { TRUNCATION_MARK } from '../trace/index.js';
import { LinkEvent } from './events.js';

/** HandlerFailed messages are cut to this many characters before encoding: a bug report, not a dump. */
export const MAX_ERROR_MESSAGE = 1024;

/** `String(error)`, which can itself throw (an object without toString), cut to a bug report's length. */
export function describeError(error: unknown): string {
  let message: string;
  try {
    message = String(error);
  } catch {
    message = `unprintable ${typeof error} thrown`;
  }
  return message.length > MAX_ERROR_MESSAGE
    ? message.slice(0, MAX_ERROR_MESSAGE) + TRUNCATION_MARK
    : message;
}

/** Traces `HandlerFailed` for `source` (a binding's name, `tap`, `release`, `adapter`) if anyone listens. */
export function traceFailure(
  trace: TraceProvider | undefined,
  source: string,
  error: unknown,
): void {
  const event = LinkEvent.handlerFailed;
  if (trace === undefined || !trace.isEnabled(event.level, event.keywords)) return;
  trace.emit(event, { binding: source, message: describeError(error) });
}
