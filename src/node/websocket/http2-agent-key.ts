/**
 * The pool key of `Http2WebSocketAgent`: the origin plus every connect
 * option, so two WebSockets share a session only if the session would have
 * been made the same way for both. This is `https.Agent#getName`'s idea,
 * stricter: getName lists the TLS options it knows, and an option it does
 * not list (a future one, `ALPNProtocols`, `lookup`) is silently shared. We
 * take every key, so a difference we did not foresee costs a second
 * session, never a WebSocket on weaker trust or another client identity.
 *
 * Values are compared by content where that is meaningful (strings,
 * numbers, buffers, arrays and plain objects such as `pfx` entries) and by
 * reference otherwise (functions such as `checkServerIdentity` or `lookup`,
 * `SecureContext`, `KeyObject`): two closures that look alike may check
 * different things, so only the very same function shares.
 */
import { createHash } from 'node:crypto';

/** Numbers for objects compared by reference (weak: a key never pins its function). */
const referenceIds = new WeakMap<object, number>();
let nextReferenceId = 1;

function referenceId(value: object): number {
  let id = referenceIds.get(value);
  if (id === undefined) {
    id = nextReferenceId++;
    referenceIds.set(value, id);
  }
  return id;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A canonical text for `value`: equal texts mean the session would be made the same way. */
function canonical(value: unknown): string {
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value}:${String(value)}`;
    case 'symbol':
      // Not weakly keyable everywhere: a symbol never shares (a session of its own).
      return `y${nextReferenceId++}`;
    case 'function':
      return `f${referenceId(value)}`;
    default:
      break;
  }
  const object = value;
  if (ArrayBuffer.isView(object)) {
    const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return `b${createHash('sha256').update(bytes).digest('hex')}`;
  }
  if (Array.isArray(object)) return `[${object.map(canonical).join(',')}]`;
  if (!isPlainObject(object)) return `r${referenceId(object)}`;
  const record = object as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonical(record[name])}`);
  return `{${fields.join(',')}}`;
}

/**
 * The key a session to `origin` made with `connectOptions` is pooled under.
 * Options that are `undefined` count as absent (`{ ca: undefined }` is `{}`).
 */
export function http2SessionKey(origin: string, connectOptions: Record<string, unknown>): string {
  const digest = createHash('sha256').update(canonical(connectOptions)).digest('base64url');
  return `${origin} ${digest}`;
}
