import type { Command } from 'commander';
import { SagaNotFoundError } from '../../../engine/errors.js';
import { isTerminal } from '../../../engine/types.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printSagaOutcome, sagaJson } from '../../../output/views/saga-view.js';
import { openApp, type App, type CliContext } from '../../app.js';
import { exitCodeForError, exitCodeForStatus, worstExitCode, type ExitCode } from '../../exit-codes.js';
import { resumeHere, resumeOrphanSagas } from '../../shared/resume-orphans.js';

export interface SagaResumeOptions {
  ref: string | undefined;
  all: boolean;
  json: boolean;
}

export async function runSagaResume(opts: SagaResumeOptions, ctx: CliContext): Promise<ExitCode> {
  if (opts.all === (opts.ref !== undefined)) throw new UsageError('give either a saga id or --all');
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openApp(ctx);
  try {
    return opts.ref !== undefined ? await resumeOne(app, output, opts.ref) : await resumeAll(app, output);
  } finally {
    await app.close();
  }
}

async function resumeOne(app: App, output: Output, ref: string): Promise<ExitCode> {
  const id = await app.ledger.resolveSagaId(ref);
  const before = await app.ledger.getSaga(id);
  if (!before) throw new SagaNotFoundError(ref);
  const saga = isTerminal(before.status) ? undefined : await resumeHere(app, output, before);
  const shown = saga ?? (await app.ledger.getSaga(id)) ?? before;
  if (!saga) output.progress(`saga ${id} already ${shown.status}; nothing to resume`);
  printSagaOutcome(output, shown);
  return exitCodeForStatus(shown.status);
}

async function resumeAll(app: App, output: Output): Promise<ExitCode> {
  const { resumed, refused } = await resumeOrphanSagas(app, output);
  if (output.mode === 'json') output.json(resumed.map((s) => sagaJson(s)));
  else if (resumed.length === 0 && refused.length === 0) output.print('nothing to resume');
  else for (const saga of resumed) printSagaOutcome(output, saga);
  return worstExitCode([...resumed.map((s) => exitCodeForStatus(s.status)), ...refused.map(exitCodeForError)]);
}

export function registerSagaResume(saga: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  saga
    .command('resume')
    .description('take over an unfinished saga (after a crash) and drive it to the end')
    .argument('[saga-id]', 'a saga id or a unique prefix of one')
    .option('--all', 'resume every unfinished saga whose owner is gone', false)
    .option('--json', 'print JSON', false)
    .addHelpText('after', '\nExamples:\n  arcadia saga resume 3f2a\n  arcadia saga resume --all --json')
    .action(async (ref: string | undefined, o: { all: boolean; json: boolean }) => {
      setExit(await runSagaResume({ ref, all: o.all, json: o.json }, ctx));
    });
}
