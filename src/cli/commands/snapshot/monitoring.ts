import type { MonitoringFacts } from '../../../db/monitoring-facts.js';
import { errorMessage } from '../../../engine/errors.js';
import { writeFileAtomically } from '../../../monitoring/atomic-file.js';
import { sendPing, type PingEvent } from '../../../monitoring/pinger.js';
import { formatPrometheusText } from '../../../monitoring/prometheus-text.js';
import type { MonitoringSettings } from '../../../monitoring/settings.js';
import { snapshotMetrics, type RunFacts } from '../../../monitoring/snapshot-metrics.js';
import { safeText } from '../../../output/format.js';
import { VERSION } from '../../../version.js';
import { openLedgerApp, type CliContext } from '../../app.js';

/**
 * Straight to stderr, in --json mode too: stdout holds the one JSON document, and a monitoring problem is worth a
 * line in cron's mail even when a script reads the JSON.
 */
function warn(ctx: CliContext, text: string): void {
  ctx.streams.stderr.write(`warning: ${safeText(text)}\n`);
}

/** The ledger's view for the metrics, opened read-only afresh: the run's own app may never have opened. */
async function readLedgerFacts(ctx: CliContext): Promise<MonitoringFacts | null> {
  try {
    const app = await openLedgerApp(ctx, { readOnly: true });
    try {
      return await app.ledger.monitoringFacts();
    } finally {
      await app.close();
    }
  } catch (error) {
    warn(ctx, `metrics: the ledger could not be read, per-droplet metrics left out: ${errorMessage(error)}`);
    return null;
  }
}

/** rw-r--r-- less what the operator's umask takes away; owner-only when the umask is not known. */
function metricsFileMode(userUmask: number | undefined): number {
  return userUmask === undefined ? 0o600 : 0o644 & ~userUmask;
}

/** Pings and the metrics file of one snapshot run; nothing here ever changes the run's exit code. */
export class RunMonitor {
  constructor(
    private readonly settings: MonitoringSettings,
    private readonly ctx: CliContext,
    private readonly runId: string,
  ) {}

  async ping(event: PingEvent): Promise<void> {
    const { ping } = this.settings;
    if (ping === undefined) return;
    const label = event === 'start' ? 'start' : event === 'success' ? 'success' : `exit ${event}`;
    await sendPing(
      {
        ...ping,
        runId: this.runId,
        userAgent: `arcadia/${VERSION}`,
        onFailure: (_event, reason) => warn(this.ctx, `the ${label} ping failed (the run is not affected): ${reason}`),
      },
      event,
    );
  }

  /** After the run, its exit code known: the metrics file first (local, fast), then the ending ping. */
  async finish(run: RunFacts): Promise<void> {
    const { metricsFile } = this.settings;
    if (metricsFile !== undefined) {
      try {
        const text = formatPrometheusText(snapshotMetrics(run, await readLedgerFacts(this.ctx)));
        writeFileAtomically(metricsFile, text, metricsFileMode(this.ctx.userUmask));
      } catch (error) {
        warn(this.ctx, `the metrics file ${metricsFile} could not be written: ${errorMessage(error)}`);
      }
    }
    await this.ping(run.exitCode === 0 ? 'success' : run.exitCode);
  }
}
