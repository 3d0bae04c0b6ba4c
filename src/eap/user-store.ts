/**
 * Where an authenticator finds a user's credentials. An interface, so later
 * issues can add a users file, LDAP and others; `StaticUserStore` is the
 * static list from configuration. A user may hold a cleartext password
 * (needed by MD5-CHAP) or only an NT hash (`NT-Password`, enough for
 * MSCHAPv2, so no cleartext is stored).
 */
import type { AuthAttribute } from './attributes.js';

export interface UserCredentials {
  readonly password?: string;
  /** MD4 of the UTF-16LE password, 16 bytes. */
  readonly ntHash?: Uint8Array;
  /**
   * Reply items for an accepted user (a users file's indented lines): RADIUS
   * attributes as encoded values, e.g. the Tunnel-* trio that assigns a VLAN.
   */
  readonly reply?: readonly AuthAttribute[];
}

export interface UserStore {
  lookup(name: string): UserCredentials | undefined;
}

export interface StaticUser extends UserCredentials {
  readonly name: string;
}

/** A fixed list of users. Names are matched exactly (case-sensitive), as FreeRADIUS's `users` file does by default. */
export class StaticUserStore implements UserStore {
  private readonly users = new Map<string, UserCredentials>();

  constructor(users: Iterable<StaticUser>) {
    for (const user of users) {
      if (this.users.has(user.name))
        throw new TypeError(`Duplicate user ${JSON.stringify(user.name)}`);
      if (user.ntHash !== undefined && user.ntHash.length !== 16) {
        throw new RangeError(`NT hash of ${JSON.stringify(user.name)} must be 16 bytes`);
      }
      if (user.password === undefined && user.ntHash === undefined) {
        throw new TypeError(
          `User ${JSON.stringify(user.name)} has neither a password nor an NT hash`,
        );
      }
      this.users.set(user.name, {
        ...(user.password === undefined ? {} : { password: user.password }),
        ...(user.ntHash === undefined ? {} : { ntHash: user.ntHash.slice() }),
        ...(user.reply === undefined || user.reply.length === 0
          ? {}
          : { reply: user.reply.map((a) => ({ ...a, value: a.value.slice() })) }),
      });
    }
  }

  /** Parses `NAME:PASSWORD` (the CLI's `--user`); the password may contain colons. */
  static parseUser(spec: string): StaticUser {
    const at = spec.indexOf(':');
    if (at <= 0) throw new TypeError(`Expected NAME:PASSWORD, got ${JSON.stringify(spec)}`);
    return { name: spec.slice(0, at), password: spec.slice(at + 1) };
  }

  lookup(name: string): UserCredentials | undefined {
    return this.users.get(name);
  }

  get size(): number {
    return this.users.size;
  }
}
