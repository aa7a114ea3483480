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

/** Runs one saga in this process with a spinner (TTY) or progress lines (cron); JSON mode stays silent. */
export async function runSagaWithProgress(app: App, output: Output, sagaId: string, label = sagaId.slice(0, 8)): Promise<SagaRecord> {
  const started = app.clock.now();
  let current = 'starting';
  const spinner = await output.spinner(`${label}: ${current}`);
  const ticker = output.mode === 'tty' ? setInterval(() => spinner.update(`${label}: ${current} ${humanDuration(app.clock.now() - started)}`), 250) : undefined;
  try {
    return await app
      .runner((progress) => {
        if (progress.status === 'owner' || progress.status === 'checkpoint') return;
        current = describe(progress);
        spinner.update(`${label}: ${current}${output.mode === 'tty' ? ` ${humanDuration(app.clock.now() - started)}` : ''}`);
      })
      .run(sagaId);
  } finally {
    if (ticker) clearInterval(ticker);
    spinner.stop();
  }
}
