import type { Command } from 'commander';
import { SagaNotFoundError, SagaNotResumableError, SagaOwnedError } from '../../../engine/errors.js';
import { isTerminal } from '../../../engine/types.js';
import { Output } from '../../../output/output.js';
import { printSagaOutcome, sagaJson } from '../../../output/views/saga-view.js';
import { openApp, type CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { liveOwnerOf } from '../../owner-liveness.js';
import { runSagaWithProgress } from '../../run-saga.js';

export interface SagaCancelOptions {
  ref: string;
  json: boolean;
}

/**
 * Records the cancel request. A live owner notices it between steps or during a wait and rolls back; with no
 * live owner this process takes the saga and rolls it back itself.
 */
export async function runSagaCancel(opts: SagaCancelOptions, ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openApp(ctx);
  try {
    const id = await app.ledger.resolveSagaId(opts.ref);
    const saga = await app.ledger.getSaga(id);
    if (!saga) throw new SagaNotFoundError(opts.ref);
    if (isTerminal(saga.status)) throw new SagaNotResumableError(id, saga.status);
    // Rolling back drives the saga as much as resuming it does: the same refusal, before the request is recorded.
    const { assertRegisteredTemplate } = await import('../../../sagas/registry.js');
    assertRegisteredTemplate(saga, app.registry);
    await app.ledger.requestCancel(id, app.clock.now());
    const owner = await liveOwnerOf(app, id);
    if (owner) {
      output.progress(`cancel requested; pid ${owner.pid} on ${owner.host} owns saga ${id} and will roll it back`);
      if (output.mode === 'json') output.json(sagaJson((await app.ledger.getSaga(id)) ?? saga));
      return EXIT.ok;
    }
    try {
      printSagaOutcome(output, await runSagaWithProgress(app, output, id));
    } catch (error) {
      if (!(error instanceof SagaOwnedError)) throw error;
      output.progress(`cancel requested; ${error.message.replace('; not running it twice', '')} and will roll it back`);
    }
    return EXIT.ok;
  } finally {
    await app.close();
  }
}

export function registerSagaCancel(saga: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  saga
    .command('cancel')
    .description('stop a saga and roll back what it did')
    .argument('<saga-id>', 'a saga id or a unique prefix of one')
    .option('--json', 'print the saga as JSON', false)
    .addHelpText('after', '\nExample:\n  arcadia saga cancel 3f2a')
    .action(async (ref: string, o: { json: boolean }) => {
      setExit(await runSagaCancel({ ref, json: o.json }, ctx));
    });
}
