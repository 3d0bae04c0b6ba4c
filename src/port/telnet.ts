/** Telnet command bytes (RFC 854). */
export const TELNET = {
  SE: 240,
  SB: 250,
  WILL: 251,
  WONT: 252,
  DO: 253,
  DONT: 254,
  IAC: 255,
} as const;

/**
 * The receiving half of a telnet client that refuses every option (RFC 854,
 * RFC 1143's "no" side), one byte at a time so a sequence split across
 * chunks is handled the same: `DO x` is answered `WONT x`, `WILL x` is
 * answered `DONT x`, `DONT`/`WONT` need no answer (every option is already
 * off, so answering could loop), other two-byte commands (NOP, GA, …) and
 * subnegotiations (`IAC SB … IAC SE`) are dropped, and `IAC IAC` is one 0xFF
 * data byte. A subnegotiation longer than `MAX_SUBNEGOTIATION` bytes is
 * abandoned (data resumes) so a hostile peer cannot hold the filter.
 */
export class TelnetFilter {
  static readonly MAX_SUBNEGOTIATION = 256;
  private state: 'data' | 'iac' | 'option' | 'sb' | 'sb-iac' = 'data';
  private command = 0;
  private sbLength = 0;
  private replies: number[] = [];
  /** Options refused (DO answered WONT, WILL answered DONT). */
  refused = 0;
  /** Telnet commands and subnegotiations dropped from the data. */
  commands = 0;

  /** The data byte, or -1 when the byte belongs to a telnet command. */
  step(byte: number): number {
    switch (this.state) {
      case 'data':
        if (byte !== TELNET.IAC) return byte;
        this.state = 'iac';
        return -1;
      case 'iac':
        if (byte === TELNET.IAC) {
          this.state = 'data';
          return TELNET.IAC;
        }
        this.commands++;
        if (byte >= TELNET.WILL && byte <= TELNET.DONT) {
          this.command = byte;
          this.state = 'option';
        } else if (byte === TELNET.SB) {
          this.sbLength = 0;
          this.state = 'sb';
        } else this.state = 'data';
        return -1;
      case 'option':
        if (this.command === TELNET.DO) this.reply(TELNET.WONT, byte);
        else if (this.command === TELNET.WILL) this.reply(TELNET.DONT, byte);
        this.state = 'data';
        return -1;
      case 'sb':
        if (byte === TELNET.IAC) this.state = 'sb-iac';
        else if (++this.sbLength > TelnetFilter.MAX_SUBNEGOTIATION) this.state = 'data';
        return -1;
      case 'sb-iac':
        // IAC SE ends it; IAC IAC is a 0xFF inside it; anything else: RFC 855 leaves it open, end it too.
        this.state = byte === TELNET.IAC ? 'sb' : 'data';
        return -1;
    }
  }

  /** The answers owed so far (then forgotten), or undefined when there are none. */
  takeReplies(): Uint8Array | undefined {
    if (this.replies.length === 0) return undefined;
    const bytes = Uint8Array.from(this.replies);
    this.replies = [];
    return bytes;
  }

  private reply(command: number, option: number): void {
    this.refused++;
    this.replies.push(TELNET.IAC, command, option);
  }
}

/** Data bytes as telnet sends them: each 0xFF doubled (`IAC IAC`). */
export function telnetEscape(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(TELNET.IAC)) return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    out.push(b);
    if (b === TELNET.IAC) out.push(b);
  }
  return Uint8Array.from(out);
}
