import { Command, CommanderError } from 'commander';
import { Output } from '../output/output.js';
import type { CliContext } from './app.js';
import { registerSagaCancel } from './commands/saga-cancel.js';
import { registerSagaList } from './commands/saga-list.js';
import { registerSagaResume } from './commands/saga-resume.js';
import { registerSagaShow } from './commands/saga-show.js';
import { registerSagaStart } from './commands/saga-start.js';
import { EXIT, errorCode, exitCodeForError, type ExitCode } from './exit-codes.js';
import { VERSION } from '../version.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerDemo } from './commands/demo.js';
import { registerSimulator } from './commands/simulator.js';

/** Parses argv, runs the command and returns the exit code. Never exits the process itself. */
export async function runCli(argv: string[], ctx: CliContext): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const setExit = (code: ExitCode): void => {
    exitCode = code;
  };
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

  registerSnapshot(program, ctx, setExit);
  registerReconcile(program, ctx, setExit);
  registerDemo(program, ctx, setExit);
  registerSimulator(program, ctx, setExit);
  const saga = program.command('saga').description('create, inspect, resume and cancel sagas');
  registerSagaStart(saga, ctx, setExit);
  registerSagaList(saga, ctx, setExit);
  registerSagaShow(saga, ctx, setExit);
  registerSagaResume(saga, ctx, setExit);
  registerSagaCancel(saga, ctx, setExit);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const output = Output.detect(ctx.streams, ctx.env, argv.includes('--json'));
    const message = error instanceof Error ? error.message.replace(/^error: /, '') : String(error);
    output.error(errorCode(error), message);
    return exitCodeForError(error);
  }
}
