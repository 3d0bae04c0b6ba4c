/**
 * A loader for FreeRADIUS-format dictionary files (`dictionary(5)`):
 * `ATTRIBUTE name number type [flags]`, `VALUE attribute name number`,
 * `VENDOR name number [format=t,l]`, `BEGIN-VENDOR name` / `END-VENDOR name`,
 * and `$INCLUDE file` (resolved by the caller's `read`, at most `maxIncludeDepth`
 * deep and `maxFiles` files in all). Sans-I/O: the caller reads the files.
 * Every mistake is a `DictionaryFileError` (`ERR_RADIUS_DICTIONARY`) naming
 * `file:line`.
 */
import { NetrxError } from '../runtime/index.js';

/** The attribute types the loader knows (FreeRADIUS 3.2's set; `uint32` as an alias of `integer`). */
export const DICTIONARY_TYPES = new Set([
  'string',
  'octets',
  'integer',
  'ipaddr',
  'date',
  'ipv6addr',
  'ipv6prefix',
  'ipv4prefix',
  'ifid',
  'integer64',
  'byte',
  'short',
  'signed',
  'ether',
  'abinary',
  'tlv',
  'combo-ip',
  'vsa',
  'extended',
  'long-extended',
  'evs',
  'uint32',
  'uint8',
  'uint16',
  'uint64',
  'int32',
]);

export interface DictionaryAttribute {
  readonly name: string;
  readonly number: number;
  readonly type: string;
  /** 0 for the standard space. */
  readonly vendorId: number;
  /** RFC 2868 tagged attribute (`has_tag`). */
  readonly hasTag: boolean;
  /** `encrypt=N`: 1 User-Password, 2 Tunnel-Password, 3 Ascend; 0 none. */
  readonly encrypt: number;
}

export interface LoadedDictionary {
  readonly vendors: ReadonlyMap<string, number>;
  /** By `vendorId:number`. */
  readonly attributes: ReadonlyMap<string, DictionaryAttribute>;
  readonly byName: ReadonlyMap<string, DictionaryAttribute>;
  /** Attribute name → value name → number. */
  readonly values: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

export class DictionaryFileError extends NetrxError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super('ERR_RADIUS_DICTIONARY', `${file}:${line}: ${message}`);
    this.name = 'DictionaryFileError';
    this.file = file;
    this.line = line;
  }
}

export interface DictionaryLoadOptions {
  /** The text of an included file (name as written after `$INCLUDE`), or undefined when absent. */
  readonly read?: (name: string, from: string) => string | undefined;
  /** Default 8. */
  readonly maxIncludeDepth?: number;
  /** Files read in all, the first included; default 64. */
  readonly maxFiles?: number;
  /** Definitions in all; default 100 000. */
  readonly maxDefinitions?: number;
}

function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

/** Loads `text` (named `file` in errors) and what it includes. */
export function loadDictionary(
  file: string,
  text: string,
  options: DictionaryLoadOptions = {},
): LoadedDictionary {
  const vendors = new Map<string, number>();
  const attributes = new Map<string, DictionaryAttribute>();
  const byName = new Map<string, DictionaryAttribute>();
  const values = new Map<string, Map<string, number>>();
  const maxDepth = options.maxIncludeDepth ?? 8;
  const maxFiles = options.maxFiles ?? 64;
  const maxDefinitions = options.maxDefinitions ?? 100_000;
  let files = 0;
  let definitions = 0;

  const load = (name: string, body: string, depth: number): void => {
    if (++files > maxFiles) throw new DictionaryFileError(name, 0, `more than ${maxFiles} files`);
    let vendor: { name: string; id: number } | undefined;
    const lines = body.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const fail = (message: string): never => {
        throw new DictionaryFileError(name, lineNo, message);
      };
      const words = (lines[i] as string).replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
      const keyword = words[0];
      if (keyword === undefined) continue;
      if (++definitions > maxDefinitions) fail(`more than ${maxDefinitions} definitions`);
      switch (keyword) {
        case '$INCLUDE':
        case '$INCLUDE-': {
          const target = words[1] ?? fail('$INCLUDE needs a file name');
          if (depth >= maxDepth) fail(`$INCLUDE nested deeper than ${maxDepth}`);
          const included = options.read?.(target, name);
          if (included === undefined) {
            if (keyword === '$INCLUDE-') break; // optional include
            fail(`cannot read included file ${JSON.stringify(target)}`);
          }
          load(target, included as string, depth + 1);
          break;
        }
        case 'VENDOR': {
          const [, vendorName, idText] = words;
          const id = idText === undefined ? undefined : parseNumber(idText);
          if (vendorName === undefined || id === undefined || id > 0xffffff)
            fail('VENDOR needs a name and a number below 2^24');
          vendors.set(vendorName as string, id as number);
          break;
        }
        case 'BEGIN-VENDOR': {
          if (vendor !== undefined) fail(`BEGIN-VENDOR inside BEGIN-VENDOR ${vendor.name}`);
          const id = vendors.get(words[1] ?? '');
          if (id === undefined) fail(`unknown vendor ${JSON.stringify(words[1] ?? '')}`);
          vendor = { name: words[1] as string, id: id as number };
          break;
        }
        case 'END-VENDOR':
          if (vendor === undefined || words[1] !== vendor.name)
            fail(`END-VENDOR ${words[1] ?? ''} does not close a BEGIN-VENDOR`);
          vendor = undefined;
          break;
        case 'ATTRIBUTE': {
          const [, attrName, numberText, typeText, flagText] = words;
          if (attrName === undefined || numberText === undefined || typeText === undefined)
            fail('ATTRIBUTE needs a name, a number and a type');
          const number = parseNumber(numberText as string);
          if (number === undefined || number < 1 || number > 0xffff)
            fail(`bad attribute number ${JSON.stringify(numberText)}`);
          const type = (typeText as string).replace(/\[.*\]$/, '');
          if (!DICTIONARY_TYPES.has(type)) fail(`unknown type ${JSON.stringify(typeText)}`);
          let vendorId = vendor?.id ?? 0;
          let hasTag = false;
          let encrypt = 0;
          for (const flag of (flagText ?? '').split(',').filter(Boolean)) {
            if (flag === 'has_tag') hasTag = true;
            else if (/^encrypt=[0-3]$/.test(flag)) encrypt = Number(flag.slice(8));
            else if (vendors.has(flag))
              vendorId = vendors.get(flag) as number; // old format
            else if (
              !['array', 'concat', 'virtual', 'abinary'].includes(flag) &&
              !flag.startsWith('format=')
            )
              fail(`unknown flag ${JSON.stringify(flag)}`);
          }
          if (vendorId === 0 && (number as number) > 255)
            fail(`standard attribute number ${number} is above 255`);
          const attribute: DictionaryAttribute = {
            name: attrName as string,
            number: number as number,
            type: type === 'uint32' ? 'integer' : type,
            vendorId,
            hasTag,
            encrypt,
          };
          attributes.set(`${vendorId}:${number}`, attribute);
          byName.set(attribute.name, attribute);
          break;
        }
        case 'VALUE': {
          const [, attrName, valueName, numberText] = words;
          const number = numberText === undefined ? undefined : parseNumber(numberText);
          if (attrName === undefined || valueName === undefined || number === undefined)
            fail('VALUE needs an attribute, a name and a number');
          let map = values.get(attrName as string);
          if (map === undefined) values.set(attrName as string, (map = new Map<string, number>()));
          map.set(valueName as string, number as number);
          break;
        }
        default:
          fail(`unknown keyword ${JSON.stringify(keyword)}`);
      }
    }
    if (vendor !== undefined)
      throw new DictionaryFileError(name, lines.length, `BEGIN-VENDOR ${vendor.name} not closed`);
  };
  load(file, text, 0);
  return { vendors, attributes, byName, values };
}
