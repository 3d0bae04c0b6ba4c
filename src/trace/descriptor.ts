import type { FieldSpec } from './payload.js';

/**
 * An event's identity and routing, as ETW's EVENT_DESCRIPTOR: `id` (16 bits),
 * `version`, `level`, `opcode` and `task` (8/8/8/16 bits) and a 64-bit keyword
 * mask. `name` and `fields` are the manifest part: they let a consumer that
 * never saw the provider's code name the event and decode its payload.
 */
export interface EventDescriptor {
  readonly id: number;
  readonly version: number;
  readonly level: number;
  readonly opcode: number;
  readonly task: number;
  readonly keywords: bigint;
  readonly name: string;
  readonly fields?: readonly FieldSpec[];
}

/** Well-known opcodes (ETW winmeta.xml). */
export const TraceOpcode = {
  Info: 0,
  Start: 1,
  Stop: 2,
  DataCollectionStart: 3,
  Send: 9,
  Receive: 240,
} as const;

/** Builds a descriptor, checking every field's range once at definition time. */
export function defineEvent(spec: {
  readonly id: number;
  readonly name: string;
  readonly level: number;
  readonly version?: number;
  readonly opcode?: number;
  readonly task?: number;
  readonly keywords?: bigint;
  readonly fields?: readonly FieldSpec[];
}): EventDescriptor {
  const check = (field: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(
        `Event ${JSON.stringify(spec.name)}: ${field} must be 0..${max}: got ${value}`,
      );
    }
  };
  const descriptor: EventDescriptor = {
    id: spec.id,
    version: spec.version ?? 0,
    level: spec.level,
    opcode: spec.opcode ?? 0,
    task: spec.task ?? 0,
    keywords: spec.keywords ?? 0n,
    name: spec.name,
    ...(spec.fields === undefined ? {} : { fields: spec.fields }),
  };
  check('id', descriptor.id, 0xffff);
  check('version', descriptor.version, 0xff);
  check('level', descriptor.level, 0xff);
  check('opcode', descriptor.opcode, 0xff);
  check('task', descriptor.task, 0xffff);
  if (descriptor.keywords < 0n || descriptor.keywords > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`Event ${JSON.stringify(spec.name)}: keywords must fit in 64 bits`);
  }
  return descriptor;
}
