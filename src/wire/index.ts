/**
 * netrx/wire: typed views and parse/emit for every format netrx speaks.
 *
 * Two shapes per format, after smoltcp: a *view* over a `Uint8Array` with
 * getters named after the RFC's fields, setters for building in place, and
 * `checked`/`unchecked` constructors (checked validates lengths once so the
 * getters cannot read out of bounds; unchecked trusts the caller); and a plain
 * *header object* produced by `parse` and written back by `emit`, so that
 * parse∘emit is the identity. Decoders of untrusted bytes never throw: they
 * return a `Decoded<T>` whose failure carries a stable code. Unknown protocol
 * numbers are kept as numbers so they round-trip. No Node APIs here.
 */
export {
  decoded,
  decodeFailed,
  type Decoded,
  type DecodeFailed,
  type DecodeFailure,
} from './result.js';
