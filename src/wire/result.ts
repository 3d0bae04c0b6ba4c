/**
 * What every decoder of untrusted bytes returns (docs/errors.md, tier 1).
 *
 * Decoders never throw on bad input: they return `{ ok: false, failure }`, and
 * the caller drops the frame, counts it under `failure.code` and traces it.
 * Codes are short, stable, kebab-case strings (`truncated`, `bad-version`, …)
 * listed in docs/errors.md; the message is for people.
 */
export interface DecodeFailure {
  readonly code: string;
  readonly message: string;
  /** Byte offset into the decoded input where the problem was found, if known. */
  readonly offset?: number;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | DecodeFailed;
export interface DecodeFailed {
  readonly ok: false;
  readonly failure: DecodeFailure;
}

export function decoded<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function decodeFailed(code: string, message: string, offset?: number): DecodeFailed {
  return {
    ok: false,
    failure: offset === undefined ? { code, message } : { code, message, offset },
  };
}
