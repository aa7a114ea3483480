import type { Command } from 'commander';
import { SAGA_STATUSES, type SagaStatus } from '../../../engine/types.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printSagaList } from '../../../output/views/saga-view.js';
import { openLedgerApp, type CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { intInRange } from '../../parse.js';

export interface SagaListOptions {
  statuses: SagaStatus[];
  kind: string | undefined;
  deploymentId: string | undefined;
  limit: number;
  json: boolean;
}

export function parseStatuses(value: string | undefined): SagaStatus[] {
  if (!value) return [];
  return value.split(',').map((s) => {
    const status = s.trim();
    if (!(SAGA_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`unknown status "${status.slice(0, 40)}"; one of ${SAGA_STATUSES.join(', ')}`);
    }
    return status as SagaStatus;
  });
}

export async function runSagaList(opts: SagaListOptions, ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openLedgerApp(ctx, { readOnly: true });
  try {
    const sagas = await app.ledger.listSagas({
      status: opts.statuses,
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.deploymentId ? { deploymentId: opts.deploymentId } : {}),
      limit: opts.limit,
    });
    printSagaList(output, sagas);
    return EXIT.ok;
  } finally {
    await app.close();
  }
}

export function registerSagaList(saga: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  saga
    .command('list')
    .description('list sagas, newest first')
    .option('--status <statuses>', `only these statuses, comma-separated (${SAGA_STATUSES.join(', ')})`)
    .option('--kind <kind>', 'only this kind')
    .option('--deployment <id>', 'only this deployment')
    .option('--limit <n>', 'at most this many (1-10000)', intInRange(1, 10_000), 20)
    .option('--json', 'print a JSON array', false)
    .addHelpText(
      'after',
      '\nExamples:\n  arcadia saga list\n  arcadia saga list --status running,compensating --limit 50 --json',
    )
    .action(async (o: { status?: string; kind?: string; deployment?: string; limit: number; json: boolean }) => {
      setExit(
        await runSagaList(
          { statuses: parseStatuses(o.status), kind: o.kind, deploymentId: o.deployment, limit: o.limit, json: o.json },
          ctx,
        ),
      );
    });
}
