import type { RunnerProgress } from '../engine/runner.js';
import type { SagaRecord } from '../engine/types.js';
import { humanDuration } from '../output/format.js';
import type { Output } from '../output/output.js';
import type { App } from './app.js';

function describe(progress: RunnerProgress): string {
  const step = progress.stepName ? `${progress.stepName} ` : '';
  if (progress.status === 'message') return `${step}${progress.detail ?? ''}`;
  return `${step}${progress.status}${progress.detail ? ` (${progress.detail})` : ''}`;
}

/** Runs one saga here, telling `report` what it is doing (owner and checkpoint bookkeeping left out). */
export function runSagaReporting(
  app: App,
  sagaId: string,
  report: (text: string) => void,
  runOptions: { unfinishedOnly?: boolean } = {},
): Promise<SagaRecord> {
  return app
    .runner((progress) => {
      if (progress.status !== 'owner' && progress.status !== 'checkpoint') report(describe(progress));
    })
    .run(sagaId, runOptions);
}

/** Runs one saga in this process with a spinner (TTY) or progress lines (cron); JSON mode stays silent. */
export async function runSagaWithProgress(
  app: App,
  output: Output,
  sagaId: string,
  label = sagaId.slice(0, 8),
  runOptions: { unfinishedOnly?: boolean } = {},
): Promise<SagaRecord> {
  const started = app.clock.now();
  const elapsed = (): string => (output.mode === 'tty' ? ` ${humanDuration(app.clock.now() - started)}` : '');
  let current = 'starting';
  // A TTY sees the spinner at once; plain output starts with the first real progress, so an executor refused
  // at the lock prints its one error line and nothing else.
  const spinner = output.mode === 'tty' ? await output.spinner(`${label}: ${current}`) : output.progressLines();
  const ticker =
    output.mode === 'tty' ? setInterval(() => spinner.update(`${label}: ${current}${elapsed()}`), 250) : undefined;
  try {
    return await runSagaReporting(
      app,
      sagaId,
      (text) => {
        current = text;
        spinner.update(`${label}: ${current}${elapsed()}`);
      },
      runOptions,
    );
  } finally {
    if (ticker) clearInterval(ticker);
    spinner.stop();
  }
}
