import { type CommandUnknownOpts, CommanderError, Help, type Option } from '@commander-js/extra-typings';
import { QuantError } from '../errors.js';
import type { Io } from './output.js';

/** `quant meta run` for the `run` command under `meta`. */
function commandPath(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const plainHelp = new Help();

/** The option's help text, with `(required)` for options that must be given. */
function optionDescription(option: Option): string {
  const text = plainHelp.optionDescription(option);
  return option.mandatory ? `${text === '' ? '' : `${text} `}(required)` : text;
}

function visit(command: CommandUnknownOpts, fn: (c: CommandUnknownOpts) => void): void {
  fn(command);
  for (const sub of command.commands) visit(sub, fn);
}

/** Outcome of a command line that commander stopped: a usage error, or help/version shown (exit 0). */
export type CommanderStop = { readonly ok: true } | { readonly ok: false; readonly error: QuantError };

/**
 * Configure every command of the tree alike: help and version asked for go to `io.out`; the help commander
 * shows for a command given without its sub-command goes to `io.err`, before the caller's coded line;
 * commander's own error text is dropped (the caller prints one coded line instead); required options are
 * marked in `--help`; and a parse error remembers which command raised it and its sub-commands, so that
 * {@link commanderStop} can point to that command's help.
 */
export function prepareCommandTree(program: CommandUnknownOpts, io: Io): void {
  visit(program, (command) => {
    command.configureHelp({ optionDescription });
    command.configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
      outputError: () => undefined,
    });
    command.exitOverride((error) => {
      throw Object.assign(error, {
        commandPath: commandPath(command),
        subcommands: command.commands.map((c) => c.name()),
      });
    });
  });
}

const SHOWN = new Set(['commander.helpDisplayed', 'commander.version']);

/**
 * What a thrown {@link CommanderError} means: help or version shown (exit 0), or an `E_USAGE` error
 * `quant meta run: required option ... not specified` whose hint is `see quant meta run --help`. A
 * command given without its sub-command (`quant sleeve`) is `E_USAGE` naming the sub-commands; commander
 * has shown its help on stderr by then.
 */
export function commanderStop(error: CommanderError): CommanderStop {
  if (error.exitCode === 0 || SHOWN.has(error.code)) return { ok: true };
  const stopped = error as CommanderError & { commandPath?: string; subcommands?: readonly string[] };
  const path = stopped.commandPath ?? 'quant';
  const message =
    error.code === 'commander.help'
      ? `a sub-command is required (${(stopped.subcommands ?? []).join(', ')})`
      : error.message.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ');
  return {
    ok: false,
    error: new QuantError('E_USAGE', `${path}: ${message}`, {
      hint: `see \`${path} --help\``,
      details: { command: path },
    }),
  };
}

export { CommanderError };
