/**
 * The runtime a portable bundle runs in, named by what it exposes
 * (Deno.version, Bun.version, a page's navigator.userAgent), so a report
 * says where it came from.
 */
interface RuntimeGlobals {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  navigator?: { userAgent: string };
}

export function runtimeName(): string {
  const host = globalThis as unknown as RuntimeGlobals;
  if (host.Deno !== undefined) return `deno ${host.Deno.version.deno}`;
  if (host.Bun !== undefined) return `bun ${host.Bun.version}`;
  return `browser ${host.navigator?.userAgent ?? 'unknown'}`;
}
