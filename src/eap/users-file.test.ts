import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../bytes/index.js';
import { ntPasswordHash } from './crypto/index.js';
import { UsersFileError, parseUsersFile, usersFileStore } from './users-file.js';

function errorOf(text: string): { line: number; column: number; message: string } {
  try {
    parseUsersFile(text);
  } catch (error) {
    if (error instanceof UsersFileError) {
      return { line: error.line, column: error.column, message: error.message };
    }
    throw error;
  }
  throw new Error('parsed');
}

describe('users file (FreeRADIUS check items: Cleartext-Password, NT-Password)', () => {
  it('reads cleartext passwords, NT hashes (0x or quoted), quoted names, escapes, comments and blank lines', () => {
    const users = parseUsersFile(
      [
        '# test users',
        'bob Cleartext-Password := "hello"',
        '',
        `alice   NT-Password := 0x${toHex(ntPasswordHash('secret')).toUpperCase()}  # no cleartext`,
        `"j doe" Cleartext-Password := "a \\"q\\" \\\\ b", NT-Password := "${toHex(ntPasswordHash('a'))}"`,
      ].join('\r\n'),
    );
    expect(users.map((u) => u.name)).toEqual(['bob', 'alice', 'j doe']);
    expect(users[0]).toEqual({ name: 'bob', password: 'hello' });
    expect(toHex(users[1]!.ntHash!)).toBe(toHex(ntPasswordHash('secret')));
    expect(users[1]!.password).toBeUndefined();
    expect(users[2]!.password).toBe('a "q" \\ b');
    const store = usersFileStore('carol Cleartext-Password := "x"\n');
    expect(store.lookup('carol')).toEqual({ password: 'x' });
  });

  it('reports the line and column of each mistake', () => {
    expect(errorOf('bob Cleartext-Password = "x"')).toMatchObject({ line: 1, column: 24 });
    const unknown = errorOf('ok Cleartext-Password := "x"\nbob User-Password := "x"');
    expect(unknown).toMatchObject({ line: 2, column: 5 });
    expect(unknown.message).toContain('2:5: unknown check item "User-Password"');
    expect(errorOf('bob Cleartext-Password := "x')).toMatchObject({ line: 1, column: 27 });
    expect(errorOf('bob NT-Password := 0x1234')).toMatchObject({ line: 1, column: 20 });
    expect(errorOf('bob NT-Password := 1234')).toMatchObject({ line: 1, column: 20 });
    // Reply items are Tunnel-* only: any other is refused where it stands.
    expect(errorOf('bob Cleartext-Password := "x"\n\tReply-Message := "hi"')).toMatchObject({
      line: 2,
      column: 2,
    });
    expect(errorOf('DEFAULT Cleartext-Password := "x"')).toMatchObject({ line: 1, column: 1 });
    expect(errorOf('bob Cleartext-Password := "x" NT-Password := 0x00')).toMatchObject({
      line: 1,
      column: 31,
    });
    const twice = errorOf('bob Cleartext-Password := "x"\nbob Cleartext-Password := "y"');
    expect(twice.line).toBe(2);
    expect(twice.message).toContain('already defined on line 1');
    expect(errorOf('bob')).toMatchObject({ line: 1, column: 4 });
    expect(errorOf('bob Cleartext-Password := "\\n"')).toMatchObject({ line: 1, column: 28 });
    expect(new UsersFileError(3, 4, 'x').code).toBe('ERR_USERS_FILE_SYNTAX');
  });

  it('never fails on arbitrary text except with a UsersFileError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        try {
          parseUsersFile(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UsersFileError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
