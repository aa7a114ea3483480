import type { Command } from 'commander';
import { SagaInterruptedError, SagaNotFoundError, SagaOwnedError } from '../../engine/errors.js';
import { isTerminal, type SagaRecord } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import { Output } from '../../output/output.js';
import { printSagaOutcome, sagaJson } from '../../output/views/saga-view.js';
import { openApp, type App, type CliContext } from '../app.js';
import { EXIT, exitCodeForStatus, worstExitCode, type ExitCode } from '../exit-codes.js';
import { isSagaInGoodHands, liveOwnerOf } from '../owner-liveness.js';
import { runSagaReporting, runSagaWithProgress } from '../run-saga.js';
import { runPool } from '../pool.js';
import { throwIfInterrupted } from '../interruption.js';

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
    app.close();
  }
}

async function resumeOne(app: App, output: Output, ref: string): Promise<ExitCode> {
  const id = app.ledger.resolveSagaId(ref);
  const before = app.ledger.getSaga(id);
  if (!before) throw new SagaNotFoundError(ref);
  if (isTerminal(before.status)) output.progress(`saga ${id} already ${before.status}; nothing to resume`);
  const saga = isTerminal(before.status) ? before : await runSagaWithProgress(app, output, id);
  printSagaOutcome(output, saga);
  return exitCodeForStatus(saga.status);
}

/** Every unfinished saga whose owner is gone, oldest first; live owners are left alone. */
export async function resumeOrphans(app: App, output: Output, filter?: { kind?: string }, concurrency = 1): Promise<SagaRecord[]> {
  const orphans: string[] = [];
  for (const id of app.ledger.listUnfinishedSagaIds(filter)) {
    const saga = app.ledger.getSaga(id);
    if (saga && !isSagaInGoodHands(app, saga)) {
      orphans.push(id);
      continue;
    }
    const owner = liveOwnerOf(app, id);
    output.progress(`saga ${id} skipped: ${owner ? `owned by pid ${owner.pid} on ${owner.host}` : 'its batch is still running'}`);
  }
  const resumed: SagaRecord[] = [];
  const interrupted: string[] = [];
  const notStarted = await runPool(
    orphans,
    concurrency,
    async (id) => {
      try {
        const report = (text: string): void => output.progress(`${id.slice(0, 8)}: ${text}`);
        const run = concurrency > 1 ? runSagaReporting(app, id, report) : runSagaWithProgress(app, output, id);
        resumed.push(await run);
      } catch (error) {
        // Stopped by a signal: the others under way stop too, and all are listed together below.
        if (error instanceof SagaInterruptedError) {
          interrupted.push(error.sagaId);
          return;
        }
        // Another executor took it between our look and our claim: it is in good hands.
        if (!(error instanceof SagaOwnedError)) throw error;
        output.progress(`saga ${id} skipped: ${error.message}`);
      }
    },
    app.stop,
  );
  if (interrupted.length > 0 || notStarted.length > 0) throwIfInterrupted(app.stop, [...interrupted, ...notStarted]);
  return resumed;
}

async function resumeAll(app: App, output: Output): Promise<ExitCode> {
  const resumed = await resumeOrphans(app, output);
  if (output.mode === 'json') output.json(resumed.map((s) => sagaJson(s)));
  else if (resumed.length === 0) output.print('nothing to resume');
  else for (const saga of resumed) printSagaOutcome(output, saga);
  return worstExitCode(resumed.map((s) => exitCodeForStatus(s.status)));
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

