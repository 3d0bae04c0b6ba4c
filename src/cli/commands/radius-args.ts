/** The flags `radius serve` and `radius test` share: lists, method names, users, endpoints. */
import { parseListenAddress } from '../../node/host/address.js';
import { UsageError } from '../command.js';
import { METHODS, type MethodName } from './radius-methods.js';

export function list(value: unknown): string[] {
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

export function methodNames(flag: string, text: string): MethodName[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase());
  for (const name of names) {
    if (!(METHODS as readonly string[]).includes(name)) {
      throw new UsageError(
        `${flag}: expected ${METHODS.join(' or ')}, got ${JSON.stringify(name)}`,
      );
    }
  }
  return names as MethodName[];
}

export function user(spec: string): { name: string; password: string } {
  const at = spec.indexOf(':');
  if (at <= 0) throw new UsageError(`--user: expected NAME:PASSWORD, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, at), password: spec.slice(at + 1) };
}

/** `HOST:PORT` or `[V6]:PORT`. */
export function endpoint(text: string): { address: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const address = match?.[1] === undefined ? undefined : parseListenAddress(match[1]);
  const port = Number(match?.[2]);
  if (
    address === undefined ||
    address === '0.0.0.0' ||
    address === '::' ||
    !(port >= 1 && port <= 65535)
  ) {
    throw new UsageError(
      `--server: expected HOST:PORT with an IP address, got ${JSON.stringify(text)}`,
    );
  }
  return { address, port };
}
