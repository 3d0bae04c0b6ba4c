/**
 * chat's escape processing (its `clean()`), on byte strings: every JS string
 * here holds one byte per char code (latin1), as chat's C strings do.
 *
 * `sending` selects the send dialect: `\d` (1 s), `\p` (10 ms), `\K` (break),
 * `\N` and `\0` (NUL) and `\\` stay as two-byte markers (a backslash and the
 * letter) for the sender to act on; a CR is appended unless the string ends in
 * `\c`; `\T`/`\U` become the phone numbers. In an expect string those escapes
 * are just the letter, octal NUL is dropped and nothing is appended.
 */
export interface EscapeContext {
  /** `-E`: replace `$NAME` ([0-9A-Za-z_]*) with the environment value (nothing when unset). */
  readonly useEnv: boolean;
  readonly env: (name: string) => string | undefined;
  /** `-T` and `-U`. */
  readonly phone: string | undefined;
  readonly phone2: string | undefined;
}

export interface Cleaned {
  readonly text: string;
  /** A `\q` was seen: the send is logged as `??????`. */
  readonly quiet: boolean;
}

const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isNameChar = (c: string | undefined) => c !== undefined && /[0-9A-Za-z_]/.test(c);

export function cleanChatString(input: string, sending: boolean, context: EscapeContext): Cleaned {
  let out = '';
  let quiet = false;
  let addReturn = sending;
  let i = 0;
  while (i < input.length) {
    let c = input[i++] as string;
    if (c === '^') {
      const next = input[i++];
      if (next === undefined) {
        out += '^';
        break;
      }
      const control = next.charCodeAt(0) & 0x1f;
      // ^@ would be a NUL, which a C string cannot hold: chat drops it.
      if (control !== 0) out += String.fromCharCode(control);
      continue;
    }
    if (context.useEnv && c === '$') {
      let end = i;
      while (isNameChar(input[end])) end++;
      const value = context.env(input.slice(i, end));
      i = end;
      if (value !== undefined) out += value;
      continue;
    }
    if (c !== '\\') {
      out += c;
      continue;
    }
    const escaped = input[i++];
    if (escaped === undefined) {
      // A lone trailing backslash: sent as a backslash, dropped from an expect.
      if (sending) out += '\\\\';
      break;
    }
    c = escaped;
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'c':
        if (sending && i === input.length) addReturn = false;
        else out += 'c';
        break;
      case '\\':
      case 'K':
      case 'p':
      case 'd':
        out += sending ? `\\${c}` : c;
        break;
      case 'T':
      case 'U': {
        const phone = c === 'T' ? context.phone : context.phone2;
        out += sending && phone !== undefined ? phone : `\\${c}`;
        break;
      }
      case 'q':
        quiet = true;
        break;
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 's':
        out += ' ';
        break;
      case 't':
        out += '\t';
        break;
      case 'N':
        out += sending ? '\\\0' : 'N';
        break;
      default: {
        if (c === '$' && context.useEnv) {
          out += '$';
          break;
        }
        if (isOctal(c)) {
          let value = c.charCodeAt(0) & 0x07;
          for (let digits = 1; digits < 3 && isOctal(input[i]); digits++) {
            value = ((value << 3) | ((input[i++] as string).charCodeAt(0) - 0x30)) & 0xff;
          }
          if (value !== 0 || sending) {
            if (sending && (value === 0x5c || value === 0)) out += '\\';
            out += String.fromCharCode(value);
          }
          break;
        }
        out += sending ? `\\${c}` : c;
      }
    }
  }
  if (addReturn) out += '\r';
  return { text: out, quiet };
}

/** The part of a string a C function sees: up to the first NUL. */
export function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/**
 * chat's `%v` ("visible") format: bytes from 0x80 get `M-`, control
 * characters (but tab) become `^X`, DEL `^?`.
 */
export function visible(text: string): string {
  // Most log text is plain: return it as it is.
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0a-\x1f\x7f-\xff]/.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i) & 0xff;
    if (c >= 0x80) {
      out += 'M-';
      c -= 0x80;
    }
    if (c < 0x20 || c === 0x7f) {
      out += c === 0x09 ? '\t' : `^${String.fromCharCode(c ^ 0x40)}`;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** chat's `character()`: how `-e` and `-V` echo one received (7-bit) byte. */
export function echoCharacter(c: number): string {
  const meta = c & 0x80 ? 'M-' : '';
  const low = c & 0x7f;
  if (low < 32) return `${meta}^${String.fromCharCode(low + 64)}`;
  if (low === 127) return `${meta}^?`;
  return meta + String.fromCharCode(low);
}

/** C's `atoi`: optional blanks and sign, then digits; anything else ends it; 0 if none. */
export function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (match === null) return 0;
  const value = Number.parseInt(match[1] as string, 10);
  // int overflow in C is undefined; clamp to the 32-bit range.
  return Math.max(-0x8000_0000, Math.min(0x7fff_ffff, value));
}
