import { defineEvent, TraceLevel, TraceOpcode } from '../trace/index.js';

/** The link layer's trace provider. */
export const LINK_PROVIDER = {
  guid: '5e7a0c1d-8b2f-4c3e-9d10-6f4b2a1c0004',
  name: 'netrx-link',
} as const;

/** Keywords of the adapter events (the binding events add 0x8 and 0x10: `BindingKeyword`). */
export const LinkKeyword = { Frames: 0x1n, Drops: 0x2n, Bindings: 0x4n, Port: 0x20n } as const;

export const LinkEvent = {
  frameDropped: defineEvent({
    id: 1,
    name: 'FrameDropped',
    level: TraceLevel.Warning,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'adapter', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'length', type: 'u32' },
    ],
  }),
  frameAccepted: defineEvent({
    id: 2,
    name: 'FrameAccepted',
    level: TraceLevel.Verbose,
    keywords: LinkKeyword.Frames,
    opcode: TraceOpcode.Receive,
    fields: [
      { name: 'binding', type: 'string' },
      { name: 'etherType', type: 'u16' },
      { name: 'length', type: 'u32' },
    ],
  }),
  frameRejected: defineEvent({
    id: 3,
    name: 'FrameRejected',
    level: TraceLevel.Verbose,
    keywords: LinkKeyword.Frames,
    fields: [
      { name: 'binding', type: 'string' },
      { name: 'etherType', type: 'u16' },
      { name: 'length', type: 'u32' },
    ],
  }),
  bindingChanged: defineEvent({
    id: 4,
    name: 'BindingChanged',
    level: TraceLevel.Information,
    keywords: LinkKeyword.Bindings,
    fields: [
      { name: 'adapter', type: 'string' },
      { name: 'binding', type: 'string' },
      { name: 'change', type: 'string' },
    ],
  }),
  /** A binding's `receive` or `receiveComplete`, or a tap (binding `tap`), threw. */
  handlerFailed: defineEvent({
    id: 5,
    name: 'HandlerFailed',
    level: TraceLevel.Error,
    keywords: LinkKeyword.Bindings,
    fields: [
      { name: 'binding', type: 'string' },
      { name: 'message', type: 'string' },
    ],
  }),
  /**
   * The 802.1X controlled port changed: `authorized`, `unauthorized` or
   * `refused` (table full) for `mac`, or `mode open` / `mode per-mac` (mac '').
   */
  controlledPortChanged: defineEvent({
    id: 6,
    name: 'ControlledPortChanged',
    level: TraceLevel.Information,
    keywords: LinkKeyword.Port,
    fields: [
      { name: 'adapter', type: 'string' },
      { name: 'change', type: 'string' },
      { name: 'mac', type: 'string' },
      /** The VLAN id of the authorisation; 0 for untagged traffic (and mode changes). */
      { name: 'vlan', type: 'u16' },
    ],
  }),
  /** A frame the adapter was asked to send and did not (reason `unauthorized`: the controlled port). */
  sendDropped: defineEvent({
    id: 7,
    name: 'SendDropped',
    level: TraceLevel.Warning,
    keywords: LinkKeyword.Drops,
    fields: [
      { name: 'adapter', type: 'string' },
      { name: 'reason', type: 'string' },
      { name: 'length', type: 'u32' },
    ],
  }),
} as const;
