/**
 * A configuration file as untrusted input: before its values are checked
 * (config.ts) it must be small (`MAX_CONFIG_BYTES`), shallow (a flow
 * collection nested deeper than `MAX_FLOW_DEPTH` or a line indented more
 * than `MAX_INDENT` columns is refused before the YAML parser sees it: the
 * parser recurses, and ten thousand `[` take the whole process down, not
 * just the parse), free of aliases (`*name`: the billion laughs expand a few
 * hundred bytes into gigabytes), and its numbers plain decimals (`1e3`,
 * `0x1F`, `0o17`, `012`, `+5`, `.inf` are numbers to YAML, and a port
 * written so is a mistake or a trick). Each refusal is one ConfigError
 * naming the key (or, before parsing, the line).
 */
import {
  isAlias,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  YAMLParseError,
  type Document,
} from 'yaml';
import { ConfigError } from './schema.js';

/** A configuration file's largest size: any real one is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_FLOW_DEPTH = 64;
export const MAX_INDENT = 128;

/** A plain decimal: what every number of the schema is written as. */
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * The parsed value of a configuration file's text; `json` parses it as
 * JSON (strict), otherwise as YAML. Throws ConfigError with the key (or
 * line) and the problem; the caller prefixes the file name.
 */
export function parseConfigText(text: string, json: boolean): unknown {
  const size = Buffer.byteLength(text);
  if (size > MAX_CONFIG_BYTES)
    throw new ConfigError('', `is ${size} bytes: a configuration is at most ${MAX_CONFIG_BYTES}`);
  const shape = shapeProblem(text);
  if (shape !== undefined) throw new ConfigError('', shape);
  if (json) {
    try {
      JSON.parse(text);
    } catch (error) {
      throw new ConfigError('', `not valid JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  // JSON is YAML: one parser gives both the values and where each came from.
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const detail =
      error instanceof YAMLParseError && error.linePos !== undefined
        ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`
        : error.message.split('\n')[0];
    throw new ConfigError('', `not valid ${json ? 'JSON' : 'YAML'}: ${detail}`);
  }
  checkNodes(doc);
  return doc.toJS({ maxAliasCount: 0 });
}

/** Too deep to hand to a recursive parser: flow brackets, or indentation. */
function shapeProblem(text: string): string | undefined {
  let depth = 0;
  let line = 1;
  let column = 0;
  let indenting = true;
  // Brackets are counted wherever they are (in a quoted string or a comment
  // too): a refusal then is of a file no configuration looks like.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      column = 0;
      indenting = true;
      continue;
    }
    if (indenting) {
      if (c === 0x20) {
        column++;
        if (column > MAX_INDENT)
          return `line ${line}: indented more than ${MAX_INDENT} columns (nested too deeply)`;
        continue;
      }
      indenting = false;
    }
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > MAX_FLOW_DEPTH)
        return `line ${line}: brackets nested more than ${MAX_FLOW_DEPTH} deep (nested too deeply)`;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return undefined;
}

/** Refuses aliases and numbers not written as plain decimals, naming the key. */
function checkNodes(doc: Document): void {
  visit(doc, {
    Alias(_key, _node, path) {
      throw new ConfigError(
        keyPath(path, _node),
        'YAML aliases (*name) are not accepted in a netrx configuration: write the value out',
      );
    },
    Scalar(_key, node, path) {
      if (typeof node.value !== 'number') return;
      const source = (node.source ?? String(node.value)).trim();
      if (!DECIMAL.test(source))
        throw new ConfigError(
          keyPath(path, node),
          `expected a plain decimal number, got ${JSON.stringify(source)} (exponent, hex, octal, a sign or a leading zero)`,
        );
    },
  });
}

/** `http.tls.cert`, `radius.users[1].name`: where `node` sits, from the visitor's ancestors. */
function keyPath(path: readonly unknown[], node: unknown): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const at = path[i];
    const child = path[i + 1] ?? node;
    if (isPair(at)) {
      // Under a pair's key (a key that is itself odd): name the pair's key alone.
      const key = isScalar(at.key) ? String(at.key.value) : isAlias(at.key) ? '*' : '?';
      out = out === '' ? key : `${out}.${key}`;
    } else if (isSeq(at)) out += `[${at.items.indexOf(child)}]`;
  }
  return out;
}
