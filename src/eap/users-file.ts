/**
 * A users file: the subset of FreeRADIUS's `users` format an EAP server
 * needs, so a file written for FreeRADIUS's check items reads here too.
 *
 *     # comment (also after an entry)
 *     bob     Cleartext-Password := "hello"
 *     alice   NT-Password := 0x8846F7EAEE8FB117AD06BDD830B7586C
 *     "j doe" Cleartext-Password := "a \"quoted\" one", NT-Password := 0x…
 *
 * One user per line: a name (bare, or double-quoted), then one or more
 * check items separated by commas, each `Attribute := value`. Attributes:
 * `Cleartext-Password` (a double-quoted string; `\"` and `\\` escape) and
 * `NT-Password` (`0x` and 32 hex digits, or the 32 digits quoted), so
 * MSCHAPv2 works without cleartext on disk (MD5 needs the cleartext).
 * Indented lines after a user are its reply items, comma-separated, for
 * VLAN assignment (RFC 3580 §3.31, RFC 2868 tags as `Attribute:tag`):
 *
 *     carol   Cleartext-Password := "pw"
 *             Tunnel-Type := VLAN, Tunnel-Medium-Type := IEEE-802,
 *             Tunnel-Private-Group-Id := "42"
 *
 * (`Tunnel-Type` VLAN or a number, `Tunnel-Medium-Type` IEEE-802 or a
 * number, `Tunnel-Private-Group-Id` a string). Other reply items, `DEFAULT`
 * entries and other operators are FreeRADIUS features this format does not
 * have: they are errors, not silently ignored. Every error names the line
 * and column (1-based).
 */
import { fromHex } from '../bytes/index.js';
import { NetrxError } from '../runtime/index.js';
import type { AuthAttribute } from './attributes.js';
import { StaticUserStore, type StaticUser } from './user-store.js';

const TUNNEL_INTEGERS: Record<string, { type: number; names: Record<string, number> }> = {
  'Tunnel-Type': { type: 64, names: { VLAN: 13 } },
  'Tunnel-Medium-Type': { type: 65, names: { 'IEEE-802': 6 } },
};

/** One line of reply items: `Attribute[:tag] := value[, …]`. */
function parseReplyLine(scanner: LineScanner, into: AuthAttribute[]): void {
  for (;;) {
    scanner.skipSpace();
    const attributeAt = scanner.at;
    const attribute = scanner.bare('a reply item');
    let tag = 0;
    if (scanner.text[scanner.at] === ':' && scanner.text[scanner.at + 1] !== '=') {
      scanner.at++;
      const tagText = scanner.bare('a tag');
      if (!/^\d{1,2}$/.test(tagText) || Number(tagText) > 31)
        throw scanner.error('a tag is 0..31', attributeAt);
      tag = Number(tagText);
    }
    scanner.expect(':=');
    scanner.skipSpace();
    const valueAt = scanner.at;
    const integer = TUNNEL_INTEGERS[attribute];
    if (integer !== undefined) {
      const word = scanner.word('a value');
      const n = integer.names[word] ?? (/^\d{1,8}$/.test(word) ? Number(word) : undefined);
      if (n === undefined || n > 0xffffff)
        throw scanner.error(`unknown ${attribute} value ${JSON.stringify(word)}`, valueAt);
      into.push({
        type: integer.type,
        value: Uint8Array.of(tag, n >>> 16, (n >>> 8) & 0xff, n & 0xff),
      });
    } else if (attribute === 'Tunnel-Private-Group-Id') {
      const bytes = new TextEncoder().encode(scanner.word('a group id'));
      if (bytes.length === 0 || bytes.length > 252)
        throw scanner.error('Tunnel-Private-Group-Id is 1..252 octets', valueAt);
      into.push({ type: 81, value: tag === 0 ? bytes : Uint8Array.of(tag, ...bytes) });
    } else {
      throw scanner.error(
        `unknown reply item ${JSON.stringify(attribute)}: expected Tunnel-Type, Tunnel-Medium-Type or Tunnel-Private-Group-Id`,
        attributeAt,
      );
    }
    if (into.length > 32) throw scanner.error('more than 32 reply items', attributeAt);
    if (scanner.atEnd()) return;
    scanner.expect(',');
    if (scanner.atEnd()) return; // a trailing comma continues on the next line
  }
}

/** A users file that does not parse; `line` and `column` are 1-based. */
export class UsersFileError extends NetrxError {
  readonly line: number;
  readonly column: number;

  constructor(line: number, column: number, message: string) {
    super('ERR_USERS_FILE_SYNTAX', `${line}:${column}: ${message}`);
    this.name = 'UsersFileError';
    this.line = line;
    this.column = column;
  }
}

const BARE = /[^\s",#=:]/;

class LineScanner {
  at = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  error(message: string, at = this.at): UsersFileError {
    return new UsersFileError(this.line, at + 1, message);
  }

  skipSpace(): void {
    while (this.at < this.text.length && /[ \t]/.test(this.text[this.at] as string)) this.at++;
  }

  /** True at the end of the line or at a comment. */
  atEnd(): boolean {
    this.skipSpace();
    return this.at >= this.text.length || this.text[this.at] === '#';
  }

  bare(what: string): string {
    this.skipSpace();
    const start = this.at;
    while (this.at < this.text.length && BARE.test(this.text[this.at] as string)) this.at++;
    if (this.at === start) throw this.error(`expected ${what}`);
    return this.text.slice(start, this.at);
  }

  quoted(): string {
    const start = this.at;
    this.at++; // the opening quote
    let out = '';
    while (this.at < this.text.length) {
      const c = this.text[this.at] as string;
      if (c === '"') {
        this.at++;
        return out;
      }
      if (c === '\\') {
        const next = this.text[this.at + 1];
        if (next !== '"' && next !== '\\') throw this.error('only \\" and \\\\ may be escaped');
        out += next;
        this.at += 2;
        continue;
      }
      out += c;
      this.at++;
    }
    throw this.error('unterminated string', start);
  }

  word(what: string): string {
    this.skipSpace();
    return this.text[this.at] === '"' ? this.quoted() : this.bare(what);
  }

  expect(token: string): void {
    this.skipSpace();
    if (!this.text.startsWith(token, this.at)) {
      throw this.error(`expected ${JSON.stringify(token)}`);
    }
    this.at += token.length;
  }
}

function ntHashValue(scanner: LineScanner): Uint8Array {
  scanner.skipSpace();
  const start = scanner.at;
  let hex: string;
  if (scanner.text[scanner.at] === '"') hex = scanner.quoted();
  else {
    const token = scanner.bare('an NT hash');
    if (!/^0x/i.test(token)) throw scanner.error('NT-Password is 0x and 32 hex digits', start);
    hex = token.slice(2);
  }
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw scanner.error('NT-Password is 32 hex digits (16 bytes)', start);
  }
  return fromHex(hex);
}

function parseLine(scanner: LineScanner): StaticUser {
  const nameAt = scanner.at;
  const name = scanner.word('a user name');
  if (name === '') throw scanner.error('empty user name', nameAt);
  if (name === 'DEFAULT') throw scanner.error('DEFAULT entries are not supported', nameAt);
  let password: string | undefined;
  let ntHash: Uint8Array | undefined;
  for (;;) {
    scanner.skipSpace();
    const attributeAt = scanner.at;
    const attribute = scanner.bare('a check item (Cleartext-Password or NT-Password)');
    scanner.skipSpace();
    if (!scanner.text.startsWith(':=', scanner.at)) {
      throw scanner.error('expected ":=" (the only operator this format has)');
    }
    scanner.at += 2;
    scanner.skipSpace();
    if (attribute === 'Cleartext-Password') {
      if (password !== undefined)
        throw scanner.error('Cleartext-Password given twice', attributeAt);
      if (scanner.text[scanner.at] !== '"')
        throw scanner.error('expected a double-quoted password');
      password = scanner.quoted();
    } else if (attribute === 'NT-Password') {
      if (ntHash !== undefined) throw scanner.error('NT-Password given twice', attributeAt);
      ntHash = ntHashValue(scanner);
    } else {
      throw scanner.error(
        `unknown check item ${JSON.stringify(attribute)}: expected Cleartext-Password or NT-Password`,
        attributeAt,
      );
    }
    if (scanner.atEnd()) break;
    scanner.expect(',');
  }
  return {
    name,
    ...(password === undefined ? {} : { password }),
    ...(ntHash === undefined ? {} : { ntHash }),
  };
}

/** Parses a users file's text; throws `UsersFileError` (line:column) at the first mistake. */
export function parseUsersFile(text: string): StaticUser[] {
  const users: StaticUser[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const scanner = new LineScanner(lines[i] as string, i + 1);
    if (scanner.atEnd()) continue;
    if (scanner.at > 0) {
      const last = users.at(-1);
      if (last === undefined) throw scanner.error('reply items before any user', 0);
      const reply = [...(last.reply ?? [])];
      parseReplyLine(scanner, reply);
      users[users.length - 1] = { ...last, reply };
      continue;
    }
    const user = parseLine(scanner);
    const first = seen.get(user.name);
    if (first !== undefined) {
      throw new UsersFileError(
        i + 1,
        1,
        `user ${JSON.stringify(user.name)} already defined on line ${first}`,
      );
    }
    seen.set(user.name, i + 1);
    users.push(user);
  }
  return users;
}

/** A `StaticUserStore` from a users file's text. */
export function usersFileStore(text: string): StaticUserStore {
  return new StaticUserStore(parseUsersFile(text));
}
