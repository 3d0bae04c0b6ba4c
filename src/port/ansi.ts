/**
 * Removes ANSI/VT escape sequences from a byte stream for matching, one byte
 * at a time, so a sequence split across chunks is still removed (the state
 * carries over). Recognised: CSI (`ESC [` … final byte 0x40–0x7E, e.g.
 * `ESC[?2004h`, colours), OSC (`ESC ]` … BEL or `ESC \`), other two-byte
 * `ESC X` sequences, escape sequences with intermediate bytes (`ESC ( B`,
 * the character-set selection `tput sgr0` sends: ESC, 0x20–0x2F…, a final
 * byte), and the 8-bit CSI (0x9B). A sequence longer than
 * `MAX_SEQUENCE` bytes is abandoned (its bytes are dropped, matching resumes)
 * so a hostile stream cannot hold the filter forever. The raw bytes are
 * untouched: callers log or keep them as received.
 */
export class AnsiStripper {
  static readonly MAX_SEQUENCE = 256;
  private state: 'text' | 'escape' | 'intermediate' | 'csi' | 'osc' | 'osc-escape' = 'text';
  private length = 0;

  /** The byte to match, or -1 when it belongs to an escape sequence. */
  step(byte: number): number {
    switch (this.state) {
      case 'text':
        if (byte === 0x1b) return this.enter('escape');
        if (byte === 0x9b) return this.enter('csi');
        return byte;
      case 'escape':
        if (byte === 0x5b) return this.enter('csi');
        if (byte === 0x5d) return this.enter('osc');
        if (byte >= 0x20 && byte <= 0x2f) {
          this.state = 'intermediate';
          return this.inside();
        }
        this.state = 'text';
        return -1;
      case 'intermediate':
        // More intermediates, then one final byte ends it (ECMA-35).
        if (byte < 0x20 || byte > 0x2f) this.state = 'text';
        return this.inside();
      case 'csi':
        if (byte >= 0x40 && byte <= 0x7e) this.state = 'text';
        return this.inside();
      case 'osc':
        if (byte === 0x07) this.state = 'text';
        else if (byte === 0x1b) this.state = 'osc-escape';
        return this.inside();
      case 'osc-escape':
        this.state = byte === 0x5c ? 'text' : 'osc';
        return this.inside();
    }
  }

  private enter(state: 'escape' | 'csi' | 'osc'): number {
    this.state = state;
    this.length = 1;
    return -1;
  }

  private inside(): number {
    if (++this.length > AnsiStripper.MAX_SEQUENCE) this.state = 'text';
    return -1;
  }
}
