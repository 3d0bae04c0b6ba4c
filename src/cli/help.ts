/**
 * Help text, wrapped to the terminal. Usage lines are long (`netrx link
 * vxlan` takes ten options), so every line is wrapped at word boundaries
 * (keeping `[--flag VALUE]...` and `--flag VALUE` whole) with a hanging indent, to the
 * terminal's width or to 80 columns when output is not a terminal.
 */
import type { CliCommand } from './command.js';
import { commands } from './commands/index.js';
import { packageVersion } from './version.js';

/** The width help is wrapped to when standard output is not a terminal. */
export const DEFAULT_HELP_COLUMNS = 80;
/** Narrower than this and a hanging indent leaves no room: wrap at this width anyway. */
const MIN_HELP_COLUMNS = 40;

function widthOf(columns: number | undefined): number {
  const width = columns === undefined || !(columns > 0) ? DEFAULT_HELP_COLUMNS : columns;
  return Math.max(MIN_HELP_COLUMNS, Math.floor(width));
}

/**
 * Wraps `text` to `width` columns: the first line starts with `first`, the
 * others with `rest`. A single unit longer than a line stays whole (it cannot
 * be broken without changing what it says).
 */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  // Units that never break: a bracketed `[--flag VALUE]` with its `...`, and
  // a flag with its VALUE (`--vni N`); otherwise words.
  const units = text.match(/\[[^\]]*\](?:\.\.\.)?|--?[\w-]+ [A-Z][\w.:/|-]*(?=\s|$)|\S+/g) ?? [];
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const unit of units) {
    if (!empty && line.length + 1 + unit.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? unit : ` ${unit}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

function commandEntry(command: CliCommand, width: number): string[] {
  return [
    ...wrap(`netrx ${command.usage}`, width, '  ', '        '),
    ...wrap(command.summary, width, '      ', '      '),
  ];
}

function optionEntry(flags: string, summary: string, width: number): string[] {
  const indent = ' '.repeat(18);
  const lines = wrap(summary, width, indent, indent);
  return [`  ${flags.padEnd(indent.length - 2)}${(lines[0] ?? '').trimStart()}`, ...lines.slice(1)];
}

/** The words that are command groups (`link`, `pcap`, `websocket`), in help order. */
export function commandGroups(): string[] {
  const groups: string[] = [];
  for (const command of commands) {
    const group = command.path[0];
    if (command.path.length > 1 && group !== undefined && !groups.includes(group))
      groups.push(group);
  }
  return groups;
}

export function groupCommands(group: string): CliCommand[] {
  return commands.filter((c) => c.path.length > 1 && c.path[0] === group);
}

/** `netrx --help` (and bare `netrx`): every command. */
export function helpText(columns?: number): string {
  const width = widthOf(columns);
  return [
    `netrx ${packageVersion()}: the receive side of a network stack`,
    '',
    'usage: netrx <command> [options]',
    '',
    'commands:',
    ...commands.flatMap((c) => commandEntry(c, width)),
    '',
    'options:',
    ...optionEntry('-h, --help', "show this help (or a command's, after the command)", width),
    ...optionEntry('-V, --version', 'print the version', width),
  ].join('\n');
}

/** `netrx link --help` (and bare `netrx link`): the commands of one group. */
export function groupHelpText(group: string, columns?: number): string {
  const width = widthOf(columns);
  return [
    `usage: netrx ${group} <command> [options]`,
    '',
    `commands of netrx ${group}:`,
    ...groupCommands(group).flatMap((c) => commandEntry(c, width)),
    '',
    ...wrap(`netrx ${group} <command> --help shows one command's usage.`, width, '', ''),
  ].join('\n');
}

/** `netrx up --help`: one command's usage and what it does. */
export function commandHelpText(command: CliCommand, columns?: number): string {
  const width = widthOf(columns);
  return [
    ...wrap(`netrx ${command.usage}`, width, 'usage: ', '         '),
    '',
    ...wrap(command.summary, width, '', ''),
  ].join('\n');
}
