import type { Command } from 'commander';

/** One option as a shell offers it. */
export interface CompletionOption {
  /** As typed: `-h`, `--help`. */
  names: string[];
  takesValue: boolean;
  /** The values it accepts, when it names them (otherwise the shell offers none). */
  choices: readonly string[];
  description: string;
}

/** One command of the program, with what may follow it. */
export interface CompletionCommand {
  /** From the program's name down: ['arcadia', 'saga', 'list']. */
  path: string[];
  description: string;
  options: CompletionOption[];
  /** Values of its arguments, when they are a fixed set (`completion <bash|zsh|fish>`). */
  argumentChoices: string[];
  subcommands: CompletionCommand[];
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * The program's commands and options as commander's help sees them (hidden ones left out, help options and the
 * help command included), so a completion script is generated from the same definitions and never drifts.
 */
export function completionTree(command: Command, parentPath: string[] = []): CompletionCommand {
  const help = command.createHelp();
  const path = [...parentPath, command.name()];
  const options = help.visibleOptions(command).map((option): CompletionOption => ({
    names: [option.short, option.long].filter((name): name is string => name !== undefined),
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    description: firstLine(option.description),
  }));
  return {
    path,
    description: firstLine(command.description()),
    options,
    argumentChoices: command.registeredArguments.flatMap((argument) => argument.argChoices ?? []),
    subcommands: help.visibleCommands(command).map((sub) => completionTree(sub, path)),
  };
}

/** The command and all its descendants, parents first. */
export function allCommands(root: CompletionCommand): CompletionCommand[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

/** What a shell offers as the next word after the command itself: its subcommands, options and argument values. */
export function nextWords(command: CompletionCommand): string[] {
  return [
    ...command.subcommands.map((sub) => sub.path[sub.path.length - 1] as string),
    ...command.argumentChoices,
    ...command.options.flatMap((option) => option.names),
  ];
}

export function commandName(command: CompletionCommand): string {
  return command.path[command.path.length - 1] as string;
}
