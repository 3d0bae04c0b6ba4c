import { isIP } from 'node:net';

/**
 * Which `Host` headers the host's HTTP endpoint answers, against DNS
 * rebinding: a web page on evil.example whose name is made to resolve to
 * 127.0.0.1 sends `Host: evil.example`, and must not read /health or
 * /trace/providers. Answered: the configured host; when bound to loopback,
 * every loopback name and address (`localhost`, `127.x.y.z`, `[::1]`); when
 * bound to every address (0.0.0.0, ::), any address literal (a name is what
 * rebinding needs). A request without Host (HTTP/1.0) is answered.
 */
export function hostHeaderAllowed(header: string | undefined, configuredHost: string): boolean {
  if (header === undefined) return true;
  const name = hostnameOf(header);
  if (name === undefined) return false;
  const configured = configuredHost.toLowerCase();
  if (name === configured) return true;
  if (isLoopback(configured) && isLoopback(name)) return true;
  return (configured === '0.0.0.0' || configured === '::') && isIP(name) !== 0;
}

/** The host name of a Host header (`[::1]:7340` → `::1`), lower-cased; undefined if malformed. */
function hostnameOf(header: string): string | undefined {
  try {
    const { hostname } = new URL(`http://${header}/`);
    const name = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    return name === '' ? undefined : name.toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopback(name: string): boolean {
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/**
 * Whether a WebSocket upgrade with this `Origin` may connect: no Origin (a
 * non-browser client), an Origin of the same host as the request's Host
 * header (a page served by this host), or one listed in `allowed`
 * (`http://app.example:8080`, compared after URL normalisation).
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && parsed.host === host.toLowerCase()) return true;
  return allowed.some((entry) => {
    try {
      return new URL(entry).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}
