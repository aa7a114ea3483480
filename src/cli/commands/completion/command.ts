import { Argument, type Command } from 'commander';
import type { CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { completionTree } from './tree.js';
import { zshScript } from './zsh.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const SCRIPTS: Record<Shell, typeof bashScript> = { bash: bashScript, zsh: zshScript, fish: fishScript };

/** The script for `shell`, describing every command `program` has registered (program.ts loads them all for it). */
export function completionScript(program: Command, shell: Shell): string {
  return SCRIPTS[shell](completionTree(program));
}

export function registerCompletion(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('completion')
    .description('print a shell completion script for arcadia (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  source <(arcadia completion bash)          # this bash session; or save it in bash-completion/completions/',
        '  arcadia completion zsh > "${fpath[1]}/_arcadia"',
        '  arcadia completion fish > ~/.config/fish/completions/arcadia.fish',
      ].join('\n'),
    )
    .action((shell: Shell) => {
      ctx.streams.stdout.write(completionScript(program, shell));
      setExit(EXIT.ok);
    });
}
