/**
 * Named booleans packed into one number, for objects kept per connection
 * (one small integer field instead of several boolean slots). The names are
 * declared once; code reads `FLAGS.has(this.flags, 'closeQueued')` and
 * writes `this.flags = FLAGS.with(this.flags, 'closeQueued', true)`: no
 * bit arithmetic outside this file.
 */
export interface NamedFlags<Name extends string> {
  has(flags: number, name: Name): boolean;
  with(flags: number, name: Name, on: boolean): number;
}

/** Flags named `names`, bit 0 for the first. At most 31 names. */
export function namedFlags<const Name extends string>(...names: readonly Name[]): NamedFlags<Name> {
  if (names.length > 31) throw new RangeError(`At most 31 flags: got ${names.length}`);
  const bits = Object.freeze(
    Object.fromEntries(names.map((name, i) => [name, 1 << i])) as Record<Name, number>,
  );
  return Object.freeze({
    has: (flags: number, name: Name) => (flags & bits[name]) !== 0,
    with: (flags: number, name: Name, on: boolean) =>
      on ? flags | bits[name] : flags & ~bits[name],
  });
}
