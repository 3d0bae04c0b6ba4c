import { NetrxError } from '../../runtime/index.js';
import { TelnetFilter, telnetEscape } from '../telnet.js';
import { latin1Bytes } from '../latin1.js';
import type { Port } from '../port.js';
import type { ChatLog } from './log.js';
import type { ChatOptions } from './options.js';

/**
 * The line under a chat run: writes (telnet-escaped when `telnet` is on),
 * reads (a timeout or a disconnect is `undefined`, and a disconnect is
 * remembered), one-byte reads for chat's `get_char`, the telnet filter shared
 * by every read, and pacing sleeps that end early on abort.
 */
export class ChatLine {
  /** `telnet`: one filter for the whole run, so a command split across reads is still seen whole. */
  readonly telnet: TelnetFilter | undefined;
  disconnected = false;

  constructor(
    private readonly port: Port,
    private readonly options: ChatOptions,
    private readonly verbose: boolean,
    private readonly log: ChatLog,
    /** Ends the run (throws) when the signal has fired. */
    private readonly checkSignal: () => void,
  ) {
    this.telnet = options.telnet === true ? new TelnetFilter() : undefined;
  }

  writeBytes(text: string): boolean {
    const bytes = latin1Bytes(text);
    return this.writeRaw(this.telnet === undefined ? bytes : telnetEscape(bytes));
  }

  /** Sends the telnet answers the last bytes asked for (WONT/DONT). */
  answerTelnet(): void {
    const replies = this.telnet?.takeReplies();
    if (replies !== undefined) this.writeRaw(replies);
  }

  writeRaw(bytes: Uint8Array): boolean {
    try {
      this.port.send(bytes);
      return true;
    } catch (error) {
      if (!(error instanceof NetrxError)) throw error;
      this.disconnected = true;
      if (this.verbose) this.log.log(` -- write failed: ${error.message}`);
      return false;
    }
  }

  sendBreak(): void {
    this.port.sendBreak();
  }

  /** Puts bytes back for the next read (what followed a match in the same chunk). */
  unread(bytes: Uint8Array): void {
    this.port.unread(bytes);
  }

  sleep(ms: number): Promise<void> {
    this.checkSignal();
    return new Promise<void>((resolve) => {
      const signal = this.options.signal;
      const onAbort = () => {
        timer.cancel();
        resolve();
      };
      const timer = this.options.clock.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    }).then(() => this.checkSignal());
  }

  /**
   * One byte with bit 7 stripped, or -1 on timeout or disconnect (chat's
   * `get_char`); bytes after it in the same chunk stay in the port.
   */
  async readOne(timeoutMs: number): Promise<number> {
    // One deadline for the call (chat's alarm(1)): telnet commands, which are no
    // data, must not restart it (a peer sending IAC NOP would keep it waiting forever).
    const deadline = this.options.clock.now() + timeoutMs;
    for (;;) {
      const left = deadline - this.options.clock.now();
      if (left <= 0) return -1;
      const chunk = await this.receive(left);
      if (chunk === undefined) return -1;
      this.port.unread(chunk.subarray(1));
      const byte = chunk[0] as number;
      const data = this.telnet === undefined ? byte : this.telnet.step(byte);
      this.answerTelnet();
      if (data >= 0) return data & 0x7f;
    }
  }

  /** The next chunk, or undefined on timeout or disconnect (which is remembered). */
  async receive(timeoutMs: number): Promise<Uint8Array | undefined> {
    try {
      return await this.port.receive({
        timeoutMs: timeoutMs === Infinity ? undefined : Math.max(0, timeoutMs),
        signal: this.options.signal,
      });
    } catch (error) {
      this.checkSignal();
      if (error instanceof NetrxError && error.code === 'ERROR_REQUEST_TIMEOUT') return undefined;
      if (error instanceof NetrxError) {
        this.disconnected = true;
        return undefined;
      }
      throw error;
    }
  }
}
