import type { Port } from './port.js';
import type { PortHandle, RetrieveResult } from './port-types.js';
import type { PortEvent } from './port-event.js';
import { RasError, rasError, rasNumberOf } from './ras-errors.js';
import type { CommSettings } from './transport.js';

/** The credentials and numbers of `RASDIALPARAMS` a script may read and rewrite. */
export interface RasDialParams {
  entryName: string;
  phoneNumber: string;
  callbackNumber: string;
  userName: string;
  password: string;
  domain: string;
}

/**
 * The five function pointers RAS passes to `RasCustomScriptExecute`, with
 * their DWORD results as numbers (0 = `ERROR_SUCCESS`) so a DLL's C code
 * ports line by line. `getBuffer`'s `size` is `*pdwSize` in and out.
 */
export interface RasScriptCallbacks {
  getBuffer(requestedSize: number): {
    readonly error: number;
    readonly buffer: Uint8Array | undefined;
    readonly size: number;
  };
  freeBuffer(buffer: Uint8Array): number;
  sendBuffer(hPort: PortHandle, buffer: Uint8Array, size: number): number;
  receiveBuffer(hPort: PortHandle, buffer: Uint8Array, timeoutMs: number, event: PortEvent): number;
  retrieveBuffer(hPort: PortHandle, buffer: Uint8Array): RetrieveResult;
}

/** `RASCUSTOMSCRIPTEXTENSIONS`: what `pvReserved` carries on Windows 2000 SP2 and later. */
export interface RasScriptExtensions {
  setCommSettings(hPort: PortHandle, settings: CommSettings): number;
}

/** A custom script: the body of a DLL's `RasCustomScriptExecute`. */
export type RasCustomScript = (
  hPort: PortHandle,
  phonebook: string,
  entryName: string,
  callbacks: RasScriptCallbacks,
  dialParams: RasDialParams,
  extensions: RasScriptExtensions,
) => number | Promise<number>;

export interface RasEntry {
  readonly phonebook?: string;
  readonly entryName: string;
}

export interface CustomScriptResult {
  /** What the script returned: 0 and the link protocol starts; else a Win32 or raserror.h code. */
  readonly error: number;
  /** The dial parameters after the script, with any rewritten user name, password or domain. */
  readonly dialParams: RasDialParams;
  /** Buffers the script got and did not free; the port took them back. */
  readonly reclaimedBuffers: number;
}

/**
 * Runs `script` on `port` the way RAS runs a custom-scripting DLL in the
 * `RASCS_Interactive` state: it gets the port's handle, the entry, the
 * callbacks bound to this port (any other handle gets 601) and a copy of the
 * dial parameters it may rewrite. A coded error the script throws becomes its
 * number, as if the DLL had returned it. When it returns, a receive left
 * posted is withdrawn and buffers it did not free are reclaimed (and
 * counted), so the port is clean for the link protocol.
 */
export async function customScriptExecute(
  port: Port,
  entry: RasEntry,
  script: RasCustomScript,
  dialParams: RasDialParams,
): Promise<CustomScriptResult> {
  const outstanding = new Set<Uint8Array>();
  const params: RasDialParams = { ...dialParams };
  const checkHandle = (hPort: PortHandle) => {
    if (hPort !== port.handle) {
      throw rasError('ERROR_INVALID_PORT_HANDLE', 'The handle is not the port given to the script');
    }
  };
  const callbacks: RasScriptCallbacks = {
    getBuffer(requestedSize) {
      try {
        const buffer = port.getBuffer(requestedSize);
        outstanding.add(buffer);
        return { error: 0, buffer, size: buffer.length };
      } catch (error) {
        return { error: rasNumberOf(error), buffer: undefined, size: 0 };
      }
    },
    freeBuffer(buffer) {
      try {
        port.freeBuffer(buffer);
        for (const held of outstanding) {
          if (held.buffer === buffer.buffer && held.byteOffset === buffer.byteOffset) {
            outstanding.delete(held);
          }
        }
        return 0;
      } catch (error) {
        return rasNumberOf(error);
      }
    },
    sendBuffer(hPort, buffer, size) {
      try {
        checkHandle(hPort);
        port.sendBuffer(buffer, size);
        return 0;
      } catch (error) {
        return rasNumberOf(error);
      }
    },
    receiveBuffer(hPort, buffer, timeoutMs, event) {
      try {
        checkHandle(hPort);
        port.receiveBuffer(buffer, timeoutMs, event);
        return 0;
      } catch (error) {
        return rasNumberOf(error);
      }
    },
    retrieveBuffer(hPort, buffer) {
      try {
        checkHandle(hPort);
        return port.retrieveBuffer(buffer);
      } catch (error) {
        return { error: rasNumberOf(error), size: 0, data: buffer.subarray(0, 0) };
      }
    },
  };
  const extensions: RasScriptExtensions = {
    setCommSettings(hPort, settings) {
      try {
        checkHandle(hPort);
        port.setCommSettings(settings);
        return 0;
      } catch (error) {
        if (error instanceof RangeError) return RasError.ERROR_INVALID_PARAMETER;
        return rasNumberOf(error);
      }
    },
  };
  let error: number;
  try {
    error = await script(
      port.handle,
      entry.phonebook ?? '',
      entry.entryName,
      callbacks,
      params,
      extensions,
    );
  } catch (thrown) {
    error = rasNumberOf(thrown);
  }
  if (port.isOpen) port.cancelReceive();
  for (const buffer of outstanding) port.freeBuffer(buffer);
  return { error, dialParams: params, reclaimedBuffers: outstanding.size };
}
