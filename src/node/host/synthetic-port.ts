/**
 * The port half of the synthetic traffic (review M2): each round one chat
 * login script runs on netrx/testing's in-memory port pair against a fake
 * login prompt, so the dashboard's Ports panel has a script with its
 * transcript (the port's ScriptTranscript and ScriptFinished events on the
 * `netrx-port` provider) even when no `ports[]` are configured. The script
 * and the runner are the ones `ports[]` and `netrx chat` use; only the line
 * is in memory, and the far side answers at once, so a round takes no time.
 */
import { PORT_PROVIDER, parseChatArgs, runChat } from '../../port/index.js';
import type { Clock } from '../../runtime/index.js';
import { createPortPair } from '../../testing/index.js';
import type { TraceRegistry } from '../../trace/index.js';

/** The port's name in its events and in the dashboard's Ports panel. */
export const SYNTHETIC_PORT_NAME = 'synthetic-login';

/** The script, as `ports[].script.chat` words would give it. */
export const SYNTHETIC_LOGIN_SCRIPT: readonly string[] = [
  'ABORT',
  'incorrect',
  'login:',
  'demo',
  'Password:',
  'demo',
  '$',
];

/** Seconds an expect may wait: the fake prompt answers at once, so only a broken one waits. */
const EXPECT_TIMEOUT_SECONDS = 2;

export interface SyntheticLoginResult {
  /** chat's exit code: 0 when the shell prompt came, 4 on `incorrect`, 3 on a timeout. */
  readonly exitCode: number;
}

/**
 * A fake console: `login:`, then `Password:` after a line, then a shell
 * prompt after the password `demo` (`Login incorrect` after any other).
 */
function answerLikeALogin(write: (text: string) => void): (sent: string, received: string) => void {
  let stage: 'user' | 'password' | 'shell' = 'user';
  return (_sent, received) => {
    if (stage === 'user' && received.includes('\r')) {
      stage = 'password';
      write('\r\nPassword: ');
    } else if (stage === 'password' && received.split('\r').length > 2) {
      const password = received.split('\r')[1] ?? '';
      stage = 'shell';
      write(
        password === 'demo' ? '\r\nLast login: never\r\ndemo@netrx:~$ ' : '\r\nLogin incorrect\r\n',
      );
    }
  };
}

/** Runs the login script once on a fresh in-memory port pair; the port is closed after. */
export async function runSyntheticLogin(
  trace: TraceRegistry,
  clock: Clock,
  signal?: AbortSignal,
): Promise<SyntheticLoginResult> {
  trace.register(PORT_PROVIDER);
  const { port, peer } = createPortPair({ clock, name: SYNTHETIC_PORT_NAME, trace });
  const answer = answerLikeALogin((text) => peer.write(text));
  peer.onWrite = (chunk) => answer(String.fromCharCode(...chunk), peer.received);
  peer.write('netrx synthetic console\r\nlogin: ');
  try {
    const result = await runChat(port, parseChatArgs(SYNTHETIC_LOGIN_SCRIPT), {
      clock,
      pacing: 'fast',
      timeoutSeconds: EXPECT_TIMEOUT_SECONDS,
      ...(signal === undefined ? {} : { signal }),
      // The transcript goes to the trace (ScriptTranscript); chat's own log lines are not wanted here.
      output: { log: () => {}, stderr: () => {}, report: () => {} },
    });
    return { exitCode: result.exitCode };
  } finally {
    port.close();
  }
}
