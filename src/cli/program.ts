import { Command, CommanderError } from 'commander';
import { Output } from '../output/output.js';
import type { CliContext } from './app.js';
import { EXIT, NagiosUnknownError, errorCode, exitCodeForError, type ExitCode } from './exit-codes.js';
import { VERSION } from '../version.js';
import { InterruptedError } from '../engine/errors.js';
import { printInterrupted } from '../output/views/interrupt-view.js';

type Register = (program: Command, ctx: CliContext, setExit: (code: ExitCode) => void) => void;

/**
 * Each top-level command's module, loaded only when that command runs (or for help): `arcadia saga list` from a
 * script should not pay for the HTTP client, the simulator and the spinner library.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  snapshot: async () => (await import('./commands/snapshot/command.js')).registerSnapshot,
  reconcile: async () => (await import('./commands/reconcile/reconcile.js')).registerReconcile,
  restore: async () => (await import('./commands/restore/command.js')).registerRestore,
  saga: async () => (await import('./commands/saga/index.js')).registerSaga,
  ledger: async () => (await import('./commands/ledger/command.js')).registerLedger,
  check: async () => (await import('./commands/check/command.js')).registerCheck,
  demo: async () => (await import('./commands/demo/demo.js')).registerDemo,
  simulator: async () => (await import('./commands/simulator/serve.js')).registerSimulator,
  completion: async () => (await import('./commands/completion/command.js')).registerCompletion,
};

/** Commands that need every command registered (a completion script describes them all). */
const NEEDS_ALL = new Set(['completion']);

/** Parses argv, runs the command and returns the exit code. Never exits the process itself. */
export async function runCli(argv: string[], ctx: CliContext): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const setExit = (code: ExitCode): void => {
    exitCode = code;
  };
  try {
    const program = new Command('arcadia')
      .description('Run DigitalOcean changes as durable, resumable sagas')
      .version(VERSION)
      .exitOverride()
      .configureOutput({
        writeOut: (s) => ctx.streams.stdout.write(s),
        writeErr: (s) => ctx.streams.stderr.write(s),
        // Parse errors are printed once, our way (one line, or JSON), by the catch below.
        outputError: () => {},
      })
      .showSuggestionAfterError(true);
    const first = argv.find((arg) => !arg.startsWith('-'));
    const wanted = first !== undefined && first in COMMANDS && !NEEDS_ALL.has(first) ? [first] : Object.keys(COMMANDS);
    for (const name of wanted) (await COMMANDS[name]?.())?.(program, ctx, setExit);
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (
      error instanceof CommanderError &&
      ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)
    ) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const output = await Output.detect(ctx.streams, ctx.env, argv.includes('--json'));
    if (error instanceof InterruptedError) {
      printInterrupted(output, error);
      return exitCodeForError(error);
    }
    const message =
      error instanceof Error ? error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ') : String(error);
    // A monitoring system reads a plugin's verdict from its first line on stdout.
    if (error instanceof NagiosUnknownError && output.mode !== 'json') {
      ctx.streams.stdout.write(`ARCADIA UNKNOWN - ${message}\n`);
    }
    output.error(errorCode(error), message);
    return exitCodeForError(error);
  }
}
