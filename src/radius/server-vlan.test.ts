/** VLAN assignment from a users file entry (outside review, finding 9). */
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../node/runtime/index.js';
import { UsersFileError, createMd5Method, parseUsersFile, usersFileStore } from '../eap/index.js';
import { VirtualClock } from '../testing/index.js';
import { RadiusAttributeType } from './dictionary.js';
import {
  RadiusCode,
  RadiusEapClient,
  RadiusServer,
  hideUserPassword,
  parseRadius,
  signAccessRequest,
  type RadiusPacket,
} from './index.js';

const USERS = [
  'carol  Cleartext-Password := "pw"',
  '       Tunnel-Type := VLAN, Tunnel-Medium-Type := IEEE-802,',
  '       Tunnel-Private-Group-Id := "42"',
  'dave   Cleartext-Password := "pw2"',
  '       Tunnel-Type:1 := 13, Tunnel-Private-Group-Id:1 := guest',
].join('\n');
const secret = new TextEncoder().encode('testing123');
const tunnel = (p: RadiusPacket) =>
  p.attributes.filter((a) => [64, 65, 81].includes(a.type)).map((a) => [a.type, [...a.value]]);

function server(onAccept: (p: RadiusPacket) => void, send?: (d: Uint8Array) => void) {
  return new RadiusServer({
    clock: new VirtualClock(),
    crypto: nodeCrypto,
    clients: [{ address: '127.0.0.1', secret: 'testing123' }],
    methods: [createMd5Method({ crypto: nodeCrypto })],
    users: usersFileStore(USERS),
    send: (datagram) => {
      const parsed = parseRadius(datagram.slice());
      if (parsed.ok && parsed.value.code === RadiusCode.AccessAccept) onAccept(parsed.value);
      send?.(datagram);
    },
  });
}

describe('VLAN from the users file', () => {
  it('parses reply items (indented, comma-continued, tagged) into Tunnel attributes', () => {
    const users = parseUsersFile(USERS);
    expect(users[0]?.reply?.map((a) => [a.type, [...a.value]])).toEqual([
      [64, [0, 0, 0, 13]],
      [65, [0, 0, 0, 6]],
      [81, [0x34, 0x32]],
    ]);
    expect(users[1]?.reply?.map((a) => [a.type, [...a.value]])).toEqual([
      [64, [1, 0, 0, 13]],
      [81, [1, ...new TextEncoder().encode('guest')]],
    ]);
    expect(() => parseUsersFile('  Tunnel-Type := VLAN')).toThrow(
      /1:1: reply items before any user/,
    );
    expect(() => parseUsersFile('a Cleartext-Password := "x"\n  Reply-Message := "hi"')).toThrow(
      UsersFileError,
    );
    expect(() => parseUsersFile('a Cleartext-Password := "x"\n  Tunnel-Type := GRE')).toThrow(
      /2:18: unknown Tunnel-Type value/,
    );
  });

  it('EAP-MD5: the Access-Accept carries the user’s Tunnel-Type, Tunnel-Medium-Type and Tunnel-Private-Group-Id', () => {
    let accepted: RadiusPacket | undefined;
    const box: { client?: RadiusEapClient } = {};
    const s = server(
      (p) => (accepted = p),
      (d) => box.client?.receive(d, { address: '127.0.0.1', port: 1812 }),
    );
    const clock = new VirtualClock();
    box.client = new RadiusEapClient({
      clock,
      crypto: nodeCrypto,
      servers: [{ address: '127.0.0.1', port: 1812, secret: 'testing123' }],
      methods: [createMd5Method({ crypto: nodeCrypto })],
      identity: 'carol',
      password: 'pw',
      send: (d) => s.receive(d, { address: '127.0.0.1', port: 40000 }),
      onResult: () => {},
    });
    box.client.start();
    expect(accepted).toBeDefined();
    expect(tunnel(accepted!)).toEqual([
      [64, [0, 0, 0, 13]],
      [65, [0, 0, 0, 6]],
      [81, [0x34, 0x32]],
    ]);
  });

  it('PAP: the same reply items', () => {
    let accepted: RadiusPacket | undefined;
    const s = server((p) => (accepted = p));
    const authenticator = nodeCrypto.randomBytes(16);
    s.receive(
      signAccessRequest(
        nodeCrypto,
        1,
        1,
        authenticator,
        [
          { type: RadiusAttributeType.UserName, value: new TextEncoder().encode('dave') },
          {
            type: RadiusAttributeType.UserPassword,
            value: hideUserPassword(
              nodeCrypto,
              new TextEncoder().encode('pw2'),
              secret,
              authenticator,
            ),
          },
        ],
        secret,
      ),
      { address: '127.0.0.1', port: 40000 },
    );
    expect(tunnel(accepted!)).toEqual([
      [64, [1, 0, 0, 13]],
      [81, [1, ...new TextEncoder().encode('guest')]],
    ]);
  });
});
