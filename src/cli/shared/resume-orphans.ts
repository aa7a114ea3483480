import { LedgerRowError } from '../../db/errors.js';
import {
  SagaAlreadyFinishedError,
  SagaInterruptedError,
  SagaOwnedError,
  SagaStepNotKnownError,
} from '../../engine/errors.js';
import type { SagaRecord } from '../../engine/types.js';
import type { Output } from '../../output/output.js';
import { SagaTemplateMismatchError } from '../../sagas/template-errors.js';
import type { App } from '../app.js';
import { throwIfInterrupted } from '../interruption.js';
import { isSagaInGoodHands, liveOwnerOf } from '../owner-liveness.js';
import { runPool } from '../pool.js';
import { runSagaReporting, runSagaWithProgress } from '../run-saga.js';

/**
 * Drives one unfinished saga here, after checking it is one arcadia would have built; undefined when another
 * executor finished it before this one got the lease (it is theirs to report, not ours).
 */
export async function resumeHere(
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
async function readableSaga(
  app: App,
  output: Output,
  id: string,
  run: OrphanRun,
): Promise<SagaRecord | undefined | null> {
  try {
    return await app.ledger.getSaga(id);
  } catch (error) {
    if (!(error instanceof LedgerRowError)) throw error;
    run.refused.push(error);
    output.progress(`saga ${id} refused: ${error.message}`);
    return null;
  }
}

function isRefusal(error: unknown): error is SagaStepNotKnownError | SagaTemplateMismatchError {
  return error instanceof SagaStepNotKnownError || error instanceof SagaTemplateMismatchError;
}

/**
 * Every unfinished saga whose owner is gone, oldest first, driven here; live owners are left alone, and sagas this
 * version refuses to run are returned as refused (their exit code is 4), untouched.
 */
export async function resumeOrphanSagas(
  app: App,
  output: Output,
  filter?: { kind?: string },
  concurrency = 1,
): Promise<OrphanRun> {
  const orphans: SagaRecord[] = [];
  const run: OrphanRun = { resumed: [], refused: [] };
  for (const id of await app.ledger.listUnfinishedSagaIds(filter)) {
    const saga = await readableSaga(app, output, id, run);
    if (saga === null) continue;
    if (saga && !(await isSagaInGoodHands(app, saga))) {
      orphans.push(saga);
      continue;
    }
    const owner = await liveOwnerOf(app, id);
    const why = owner ? `owned by pid ${owner.pid} on ${owner.host}` : 'its batch is still running';
    output.progress(`saga ${id} skipped: ${why}`);
  }
  const interrupted: string[] = [];
  const notStarted = await runPool(
    orphans,
    concurrency,
    async (orphan) => {
      try {
        const saga = await resumeHere(app, output, orphan, concurrency);
        if (saga) run.resumed.push(saga);
        else output.progress(`saga ${orphan.id} skipped: another executor finished it`);
      } catch (error) {
        // Stopped by a signal: the others under way stop too, and all are listed together below.
        if (error instanceof SagaInterruptedError) {
          interrupted.push(error.sagaId);
          return;
        }
        // A saga of a newer arcadia, or one arcadia would not build, must not stop the other orphans from running.
        if (isRefusal(error)) {
          run.refused.push(error);
          output.progress(`saga ${orphan.id} refused: ${error.message}`);
          return;
        }
        // Another executor took it between our look and our claim: it is in good hands.
        if (!(error instanceof SagaOwnedError)) throw error;
        output.progress(`saga ${orphan.id} skipped: ${error.message}`);
      }
    },
    app.stop,
  );
  if (interrupted.length > 0 || notStarted.length > 0) {
    throwIfInterrupted(app.stop, [...interrupted, ...notStarted.map((saga) => saga.id)]);
  }
  return run;
}
