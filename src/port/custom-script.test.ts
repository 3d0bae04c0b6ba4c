import { describe, expect, it } from 'vitest';
import { NetrxError } from '../runtime/index.js';
import { VirtualClock, createPortPair } from '../testing/index.js';
import {
  customScriptExecute,
  PortEvent,
  RasError,
  type RasCustomScript,
  type RasDialParams,
} from './index.js';

const dialParams: RasDialParams = {
  entryName: 'isp',
  phoneNumber: '5551234',
  callbackNumber: '',
  userName: 'alice',
  password: 'secret',
  domain: '',
};

/**
 * A RAS custom-scripting DLL's RasCustomScriptExecute, ported line by line:
 * get a buffer, loop receive → wait → retrieve, answer prompts, switch the
 * line to 8N1, rewrite the user name, free the buffer, return 0.
 */
const loginScript: RasCustomScript = async (hPort, _book, _entry, cb, params, ext) => {
  const { error, buffer } = cb.getBuffer(1500);
  if (error !== 0 || buffer === undefined) return error;
  const event = new PortEvent();
  let seen = '';
  for (;;) {
    let dwErr = cb.receiveBuffer(hPort, buffer, 5000, event);
    if (dwErr !== 0) return dwErr;
    await event.wait();
    const got = cb.retrieveBuffer(hPort, buffer);
    dwErr = got.error;
    if (dwErr !== 0) {
      cb.freeBuffer(buffer);
      return dwErr;
    }
    seen += new TextDecoder('latin1').decode(got.data);
    const reply = (line: string) => {
      const bytes = new TextEncoder().encode(line);
      buffer.set(bytes);
      return cb.sendBuffer(hPort, buffer, bytes.length);
    };
    if (seen.endsWith('ogin: ')) {
      seen = '';
      reply(`${params.userName}\r`);
    } else if (seen.endsWith('ssword: ')) {
      seen = '';
      reply(`${params.password}\r`);
    } else if (seen.includes('$ ')) break;
  }
  ext.setCommSettings(hPort, { parity: 0, stopBits: 0, byteSize: 8 });
  params.userName = `${params.userName}@isp`;
  params.domain = 'ISP';
  cb.freeBuffer(buffer);
  return 0;
};

function scriptedPeer() {
  const clock = new VirtualClock();
  const { port, peer } = createPortPair({ clock });
  peer.onWrite = (chunk) => {
    const line = new TextDecoder().decode(chunk);
    if (line === 'alice\r') peer.write('Password: ');
    if (line === 'secret\r') peer.write('\r\nLogged in\r\n$ ');
  };
  return { clock, port, peer };
}

describe('customScriptExecute', () => {
  it('runs a RAS script ported line by line; it may rewrite credentials and line settings', async () => {
    const { port, peer } = scriptedPeer();
    const running = customScriptExecute(port, { entryName: 'isp' }, loginScript, dialParams);
    peer.write('Welcome\r\nlogin: ');
    const result = await running;
    expect(result.error).toBe(0);
    expect(result.dialParams).toMatchObject({
      userName: 'alice@isp',
      domain: 'ISP',
      password: 'secret',
    });
    expect(dialParams.userName).toBe('alice');
    expect(peer.received).toBe('alice\rsecret\r');
    expect(peer.commSettings).toEqual([{ parity: 0, stopBits: 0, byteSize: 8 }]);
    expect(result.reclaimedBuffers).toBe(0);
  });

  it('returns the disconnect cause (619) when the line drops mid-script', async () => {
    const { port, peer } = scriptedPeer();
    const running = customScriptExecute(port, { entryName: 'isp' }, loginScript, dialParams);
    peer.write('login: ');
    await Promise.resolve();
    peer.hangUp();
    expect((await running).error).toBe(RasError.ERROR_PORT_DISCONNECTED);
  });

  it('returns ERROR_REQUEST_TIMEOUT (638) when the server is silent', async () => {
    const { clock, port } = scriptedPeer();
    const running = customScriptExecute(port, { entryName: 'isp' }, loginScript, dialParams);
    await Promise.resolve();
    clock.advance(5000);
    expect((await running).error).toBe(638);
  });

  it('answers 601 for a handle that is not the script port, and 610 for a foreign buffer', async () => {
    const { port } = scriptedPeer();
    const other = createPortPair({ clock: new VirtualClock() }).port;
    const seen: number[] = [];
    await customScriptExecute(
      port,
      { entryName: 'isp' },
      (hPort, _b, _e, cb, _p, ext) => {
        const { buffer } = cb.getBuffer(10);
        if (buffer === undefined) return 1;
        seen.push(cb.sendBuffer(other.handle, buffer, 1));
        seen.push(cb.receiveBuffer(other.handle, buffer, 1, new PortEvent()));
        seen.push(cb.retrieveBuffer(other.handle, buffer).error);
        seen.push(ext.setCommSettings(other.handle, { parity: 0, stopBits: 0, byteSize: 8 }));
        seen.push(cb.sendBuffer(hPort, new Uint8Array(4), 1));
        seen.push(cb.freeBuffer(new Uint8Array(4)));
        seen.push(ext.setCommSettings(hPort, { parity: 7, stopBits: 0, byteSize: 8 } as never));
        return 0;
      },
      dialParams,
    );
    expect(seen).toEqual([601, 601, 601, 601, 610, 610, 87]);
  });

  it('reclaims buffers the script did not free and withdraws a receive it left posted', async () => {
    const { port } = scriptedPeer();
    const result = await customScriptExecute(
      port,
      { entryName: 'isp' },
      (hPort, _b, _e, cb) => {
        const a = cb.getBuffer(100).buffer as Uint8Array;
        cb.getBuffer(100);
        cb.receiveBuffer(hPort, a, 1000, new PortEvent());
        return 0;
      },
      dialParams,
    );
    expect(result.reclaimedBuffers).toBe(2);
    expect(() => port.receiveBuffer(port.getBuffer(), 10)).not.toThrow();
  });

  it('turns a coded error the script throws into its number; other errors propagate', async () => {
    const { port } = scriptedPeer();
    const coded = await customScriptExecute(
      port,
      { entryName: 'isp' },
      () => {
        throw new NetrxError('ERROR_LINE_BUSY', 'busy', { number: 676 });
      },
      dialParams,
    );
    expect(coded.error).toBe(676);
    await expect(
      customScriptExecute(
        port,
        { entryName: 'isp' },
        () => {
          throw new TypeError('bug in the script');
        },
        dialParams,
      ),
    ).rejects.toThrow(TypeError);
  });
});
