/**
 * The string translation `transmit` (without `raw`) and `waitfor` apply
 * (SCRIPT.TXT §4.0):
 *
 * - `^X` with X from `@` to `_` is the byte X − 64 (`^M` is CR, `^@` NUL);
 *   with X from `a` to `z`, X − 96 (`^m` is CR too). Any other X, or a `^`
 *   ending the string, is sent as written.
 * - `<cr>` is CR and `<lf>` is LF (netrx accepts any letter case).
 * - `\X` is X itself with no translation: `\"`, `\^`, `\<`, `\\`; a `\`
 *   ending the string is sent as written.
 *
 * Text is bytes, one per char code (latin1), as everywhere in netrx/port.
 */
export function translateScp(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      out += text[++i] as string;
      continue;
    }
    if (c === '^' && i + 1 < text.length) {
      const code = text.charCodeAt(i + 1);
      if (code >= 0x40 && code <= 0x5f) {
        out += String.fromCharCode(code - 0x40);
        i++;
        continue;
      }
      if (code >= 0x61 && code <= 0x7a) {
        out += String.fromCharCode(code - 0x60);
        i++;
        continue;
      }
    }
    if (c === '<') {
      const tag = text.slice(i, i + 4).toLowerCase();
      if (tag === '<cr>' || tag === '<lf>') {
        out += tag === '<cr>' ? '\r' : '\n';
        i += 3;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/** ASCII letters folded to lower case: waitfor's default, case-insensitive match. */
export function foldAscii(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
}
