/**
 * Builds a handle's parts from its properties: the send path (with the
 * client's masking keys), the receive path and the queued-receive side,
 * keep-alive (only when asked) and the state machine over them. handle.ts
 * keeps the parts as fields; the host objects passed in are how the paths
 * call back into it.
 */
import type { Clock } from '../runtime/index.js';
import type { TraceProvider } from '../trace/index.js';
import { WEBSOCKET_PROVIDER } from './events.js';
import { MaskKeySource } from './frame-writer.js';
import { Lifecycle } from './handle-lifecycle.js';
import type { HandleRole } from './handle-types.js';
import { KeepAlive, type KeepAliveHost } from './keep-alive.js';
import type { HandleSettings, ResolvedProperties } from './properties.js';
import { ReceivePath, type ReceiveHost } from './receive-path.js';
import { ReceiveSide } from './receive-side.js';
import { SendPath } from './send-path.js';

export interface HandleParts<Owner> {
  readonly name: string;
  readonly trace: TraceProvider | undefined;
  readonly keepAlive: KeepAlive<Owner> | undefined;
  readonly sendPath: SendPath;
  readonly receivePath: ReceivePath<Owner>;
  readonly receiveSide: ReceiveSide<Owner>;
  readonly life: Lifecycle<Owner>;
}

export function buildParts<Owner>(
  role: HandleRole,
  properties: HandleSettings,
  resolved: ResolvedProperties,
  owner: Owner,
  hosts: { readonly receive: ReceiveHost<Owner>; readonly keepAlive: KeepAliveHost<Owner> },
): HandleParts<Owner> {
  const keepAlive =
    resolved.keepAliveInterval > 0
      ? new KeepAlive(properties.clock as Clock, resolved.keepAliveInterval, owner, hosts.keepAlive)
      : undefined;
  const name = properties.name ?? role;
  const trace = properties.trace?.register(WEBSOCKET_PROVIDER);
  let masks: MaskKeySource | undefined;
  if (role === 'client' && !resolved.disableMasking) {
    if (properties.crypto === undefined) {
      throw new TypeError('A client handle needs a crypto to make masking keys');
    }
    masks = new MaskKeySource(
      properties.crypto,
      properties.mask,
      properties.allocate,
      properties.maskInto,
    );
  }
  const sendPath = new SendPath({ properties: resolved, masks, trace, name });
  const receivePath = new ReceivePath(
    {
      role,
      properties: resolved,
      isUtf8: properties.isUtf8,
      mask: properties.mask,
      maskInto: properties.maskInto,
      allocate: properties.allocate,
    },
    owner,
    hosts.receive,
  );
  const receiveSide = new ReceiveSide(
    receivePath,
    resolved.receiveBufferSize,
    keepAlive === undefined ? undefined : () => keepAlive.received(),
  );
  const life = new Lifecycle({ sendPath, receivePath, keepAlive, trace, name });
  return { name, trace, keepAlive, sendPath, receivePath, receiveSide, life };
}
