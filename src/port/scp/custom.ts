import type { RasCustomScript } from '../custom-script.js';
import type { Port } from '../port.js';
import type { ScpProgram } from './ast.js';
import { runScp, type ScpOptions, type ScpResult } from './interpreter.js';

/**
 * A parsed `.scp` script as the body of `RasCustomScriptExecute`, so
 * `customScriptExecute(port, entry, scpCustomScript(port, program, …), dialParams)`
 * runs it where RAS ran a custom-scripting DLL: `$USERID` and `$PASSWORD`
 * come from the dial parameters, `set port` goes through
 * RASCUSTOMSCRIPTEXTENSIONS' `setCommSettings`, and the script's DWORD is
 * 0 at main's endproc, 703 after `halt`, or the failure's number.
 * `onResult` receives the whole result (the `set ipaddr` address included).
 */
export function scpCustomScript(
  port: Port,
  program: ScpProgram,
  options: Omit<ScpOptions, 'dialParams' | 'setCommSettings'> & {
    readonly onResult?: (result: ScpResult) => void;
  },
): RasCustomScript {
  return async (hPort, _phonebook, _entryName, _callbacks, dialParams, extensions) => {
    const result = await runScp(port, program, {
      ...options,
      dialParams,
      setCommSettings: (settings) => extensions.setCommSettings(hPort, settings),
    });
    options.onResult?.(result);
    return result.error;
  };
}
