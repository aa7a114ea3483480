import type { Command } from 'commander';
import { Output } from '../../../output/output.js';
import { printSagaShow } from '../../../output/views/saga-view.js';
import { openLedgerApp, type CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { liveOwnerOf } from '../../owner-liveness.js';
import { SagaNotFoundError } from '../../../engine/errors.js';
import { isRestoreKind, restoreFactsOf } from '../../../sagas/restore/facts.js';
import { restoreFactsLine } from '../../../output/views/restore-view.js';

export interface SagaShowOptions {
  ref: string;
  json: boolean;
}

export async function runSagaShow(opts: SagaShowOptions, ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openLedgerApp(ctx, { readOnly: true });
  try {
    const id = await app.ledger.resolveSagaId(opts.ref);
    const saga = await app.ledger.getSaga(id);
    if (!saga) throw new SagaNotFoundError(opts.ref);
    const alive = saga.owner ? (await liveOwnerOf(app, id)) !== undefined : null;
    const subject = isRestoreKind(saga.kind)
      ? { label: saga.kind === 'drill' ? 'Drill' : 'Restore', text: restoreFactsLine(restoreFactsOf(saga)) }
      : undefined;
    printSagaShow(output, saga, await app.ledger.listEvents(id), alive, subject);
    return EXIT.ok;
  } finally {
    await app.close();
  }
}

export function registerSagaShow(saga: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  saga
    .command('show')
    .description('show one saga: steps, context, owner and history')
    .argument('<saga-id>', 'a saga id or a unique prefix of one')
    .option('--json', 'print the saga as JSON', false)
    .addHelpText('after', '\nExamples:\n  arcadia saga show 3f2a\n  arcadia saga show 3f2a9c1e-... --json')
    .action(async (ref: string, o: { json: boolean }) => {
      setExit(await runSagaShow({ ref, json: o.json }, ctx));
    });
}
