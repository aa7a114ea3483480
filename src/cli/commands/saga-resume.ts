import type { Command } from 'commander';
import {
  SagaAlreadyFinishedError,
  SagaNotFoundError,
  SagaOwnedError,
  SagaStepNotKnownError,
} from '../../engine/errors.js';
import { LedgerRowError } from '../../db/errors.js';
import { isTerminal, type SagaRecord } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import { Output } from '../../output/output.js';
import { printSagaOutcome, sagaJson } from '../../output/views/saga-view.js';
import { openApp, type App, type CliContext } from '../app.js';
import { exitCodeForError, exitCodeForStatus, worstExitCode, type ExitCode } from '../exit-codes.js';
import { isSagaInGoodHands, liveOwnerOf } from '../owner-liveness.js';
import { runSagaReporting, runSagaWithProgress } from '../run-saga.js';
import { runPool } from '../pool.js';
import { SagaTemplateMismatchError } from '../../sagas/template-errors.js';

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
  const saga = isTerminal(before.status) ? undefined : await resumeHere(app, output, before);
  const shown = saga ?? app.ledger.getSaga(id) ?? before;
  if (!saga) output.progress(`saga ${id} already ${shown.status}; nothing to resume`);
  printSagaOutcome(output, shown);
  return exitCodeForStatus(shown.status);
}

/**
 * Drives one unfinished saga here, after checking it is one arcadia would have built; undefined when another
 * executor finished it before this one got the lease (it is theirs to report, not ours).
 */
async function resumeHere(
  app: App,
  output: Output,
  saga: SagaRecord,
  concurrency = 1,
): Promise<SagaRecord | undefined> {
  // Loaded on use: the registry's step modules stay out of the chunk `saga list` loads (start-up time).
  const { assertRegisteredTemplate } = await import('../../sagas/registry.js');
  assertRegisteredTemplate(saga, app.registry);
  const id = saga.id;
  const options = { unfinishedOnly: true };
  try {
    return concurrency > 1
      ? await runSagaReporting(app, id, (text) => output.progress(`${id.slice(0, 8)}: ${text}`), options)
      : await runSagaWithProgress(app, output, id, undefined, options);
  } catch (error) {
    if (error instanceof SagaAlreadyFinishedError) return undefined;
    throw error;
  }
}

/** Orphans that ran here, and those refused without being touched (a saga arcadia would not build or cannot run). */
export interface OrphanRun {
  resumed: SagaRecord[];
  refused: (SagaStepNotKnownError | SagaTemplateMismatchError | LedgerRowError)[];
}

/** The saga, or null (reported, counted as refused) when its row cannot be decoded: the other orphans still run. */
function readableSaga(app: App, output: Output, id: string, run: OrphanRun): SagaRecord | undefined | null {
  try {
    return app.ledger.getSaga(id);
  } catch (error) {
    if (!(error instanceof LedgerRowError)) throw error;
    run.refused.push(error);
    output.progress(`saga ${id} refused: ${error.message}`);
    return null;
  }
}

/** Every unfinished saga whose owner is gone, oldest first; live owners are left alone. */
export async function resumeOrphans(app: App, output: Output, filter?: { kind?: string }, concurrency = 1): Promise<SagaRecord[]> {
  return (await resumeOrphanSagas(app, output, filter, concurrency)).resumed;
}

/** resumeOrphans, also telling which orphans were refused (their exit code is 4). */
export async function resumeOrphanSagas(
  app: App,
  output: Output,
  filter?: { kind?: string },
  concurrency = 1,
): Promise<OrphanRun> {
  const orphans: SagaRecord[] = [];
  const run: OrphanRun = { resumed: [], refused: [] };
  for (const id of app.ledger.listUnfinishedSagaIds(filter)) {
    const saga = readableSaga(app, output, id, run);
    if (saga === null) continue;
    if (saga && !isSagaInGoodHands(app, saga)) {
      orphans.push(saga);
      continue;
    }
    const owner = liveOwnerOf(app, id);
    output.progress(`saga ${id} skipped: ${owner ? `owned by pid ${owner.pid} on ${owner.host}` : 'its batch is still running'}`);
  }
  await runPool(orphans, concurrency, async (orphan) => {
    try {
      const saga = await resumeHere(app, output, orphan, concurrency);
      if (saga) run.resumed.push(saga);
      else output.progress(`saga ${orphan.id} skipped: another executor finished it`);
    } catch (error) {
      // A saga of a newer arcadia, or one arcadia would not build, must not stop the other orphans from running.
      if (error instanceof SagaStepNotKnownError || error instanceof SagaTemplateMismatchError) {
        run.refused.push(error);
        output.progress(`saga ${orphan.id} refused: ${error.message}`);
        return;
      }
      // Another executor took it between our look and our claim: it is in good hands.
      if (!(error instanceof SagaOwnedError)) throw error;
      output.progress(`saga ${orphan.id} skipped: ${error.message}`);
    }
  });
  return run;
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

