import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { loadSettings } from '../../../config.js';
import { UnknownStepError } from '../../../engine/errors.js';
import { SAGA_KINDS, type SagaRecord } from '../../../engine/types.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printSagaOutcome } from '../../../output/views/saga-view.js';
import { openApp, type CliContext } from '../../app.js';
import { exitCodeForStatus, type ExitCode } from '../../exit-codes.js';
import { collect, parseInputs } from '../../parse.js';
import { runSagaWithProgress } from '../../run-saga.js';

export interface SagaStartOptions {
  kind: string;
  steps: string[];
  inputs: string[];
  triggeredBy: string;
  deploymentId: string | null;
  detach: boolean;
  json: boolean;
}

export async function runSagaStart(opts: SagaStartOptions, ctx: CliContext): Promise<ExitCode> {
  if (!(SAGA_KINDS as readonly string[]).includes(opts.kind)) {
    throw new UsageError(`unknown kind "${opts.kind}"; one of ${SAGA_KINDS.join(', ')}`);
  }
  if (opts.steps.length === 0) throw new UsageError('give at least one --step');
  const inputs = parseInputs(opts.inputs);
  // Refused before the ledger opens: a typo creates no ledger file and needs no database to be told.
  const { registeredStepNames, sagaTemplateProblem } = await import('../../../sagas/registry.js');
  const known = registeredStepNames(loadSettings(ctx.env));
  for (const step of opts.steps) {
    if (!known.includes(step)) throw new UnknownStepError(step, known);
  }
  // A saga resume would refuse (a snapshot saga of nothing but power_off_droplet) is refused before it exists.
  const problem = sagaTemplateProblem(opts.kind, opts.steps);
  if (problem !== null) {
    throw new UsageError(`--kind ${opts.kind} with these steps matches no saga arcadia builds: ${problem}`);
  }
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  const app = await openApp(ctx);
  try {
    const created = await app.ledger.createSaga(
      {
        id: randomUUID(),
        kind: opts.kind,
        stepNames: opts.steps,
        inputs,
        triggeredBy: opts.triggeredBy,
        deploymentId: opts.deploymentId,
        batchId: null,
      },
      app.clock.now(),
    );
    let saga: SagaRecord = created;
    if (opts.detach) {
      output.progress(`saga ${created.id} recorded; run it with: arcadia saga resume ${created.id}`);
    } else {
      saga = await runSagaWithProgress(app, output, created.id);
    }
    printSagaOutcome(output, saga);
    return exitCodeForStatus(saga.status);
  } finally {
    await app.close();
  }
}

export function registerSagaStart(saga: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  saga
    .command('start')
    .description('create a saga from registered steps and run it here')
    .requiredOption('--kind <kind>', `saga kind (${SAGA_KINDS.join(', ')})`)
    .option('--step <name>', 'a step to run, in order (repeat)', collect, [])
    .option('--input <key=value>', 'an input stored under __inputs__ (repeat)', collect, [])
    .option('--triggered-by <who>', 'who or what started it', 'manual')
    .option('--deployment <id>', 'a deployment id to group sagas by')
    .option('--detach', 'record the saga without running it (run it later with saga resume)', false)
    .option('--json', 'print the saga as JSON', false)
    .addHelpText(
      'after',
      `
Examples:
  arcadia saga start --kind test --step noop --step fail
  arcadia saga start --kind test --step create_droplet_snapshot --step fail --input droplet_provider_id=123
  arcadia saga start --kind test --step sleep --input sleep_ms=5000 --detach`,
    )
    .action(
      async (o: {
        kind: string;
        step: string[];
        input: string[];
        triggeredBy: string;
        deployment?: string;
        detach: boolean;
        json: boolean;
      }) => {
        setExit(
          await runSagaStart(
            {
              kind: o.kind,
              steps: o.step,
              inputs: o.input,
              triggeredBy: o.triggeredBy,
              deploymentId: o.deployment ?? null,
              detach: o.detach,
              json: o.json,
            },
            ctx,
          ),
        );
      },
    );
}
