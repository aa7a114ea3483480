import type { MonitoringFacts, SucceededSnapshot } from '../db/monitoring-facts.js';
import type { MetricFamily } from './prometheus-text.js';

const BYTES_PER_GIGABYTE = 1024 ** 3;

/** What one `arcadia snapshot` run knows of itself when it ends. */
export interface RunFacts {
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** This run's sagas (and droplets skipped or not started) by status. */
  sagaStatuses: string[];
  /** Requests sent to the DigitalOcean API by this run, retries included. */
  apiRequests: number;
}

/** Always present, so a status going to zero shows as 0 rather than as a series that vanished. */
const STATUSES = ['succeeded', 'rolled_back', 'compensation_failed', 'cancelled', 'pending', 'skipped', 'interrupted'];

const seconds = (ms: number): number => Math.round(ms) / 1000;

function newestPerDroplet(succeeded: SucceededSnapshot[]): SucceededSnapshot[] {
  const newest = new Map<number, SucceededSnapshot>();
  for (const snapshot of succeeded) {
    const known = newest.get(snapshot.dropletId);
    if (!known || snapshot.finishedAt > known.finishedAt) newest.set(snapshot.dropletId, snapshot);
  }
  return [...newest.values()].sort((a, b) => a.dropletId - b.dropletId);
}

function keptPerDroplet(facts: MonitoringFacts): Map<number, { count: number; bytes: number }> {
  const kept = new Map<number, { count: number; bytes: number }>();
  for (const { dropletId, snapshotId, sizeGigabytes } of facts.succeeded) {
    const entry = kept.get(dropletId) ?? { count: 0, bytes: 0 };
    kept.set(dropletId, entry);
    if (snapshotId === null || facts.deletedSnapshotIds.has(snapshotId)) continue;
    entry.count += 1;
    entry.bytes += (sizeGigabytes ?? 0) * BYTES_PER_GIGABYTE;
  }
  return kept;
}

/**
 * Run facts come from this run; everything per droplet from the ledger (null when it could not be read), so a failed
 * run reports its exit code and still carries each droplet's last success.
 */
export function snapshotMetrics(run: RunFacts, ledger: MonitoringFacts | null): MetricFamily[] {
  const counts = new Map(STATUSES.map((status) => [status, 0]));
  for (const status of run.sagaStatuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  const families: MetricFamily[] = [
    {
      name: 'arcadia_last_run_timestamp_seconds',
      help: 'When the last arcadia snapshot run started, in seconds since the epoch.',
      type: 'gauge',
      samples: [{ value: seconds(run.startedAt) }],
    },
    {
      name: 'arcadia_run_duration_seconds',
      help: 'How long the last arcadia snapshot run took.',
      type: 'gauge',
      samples: [{ value: seconds(run.finishedAt - run.startedAt) }],
    },
    {
      name: 'arcadia_run_exit_code',
      help: 'Exit code of the last arcadia snapshot run (0 is success).',
      type: 'gauge',
      samples: [{ value: run.exitCode }],
    },
    {
      name: 'arcadia_sagas',
      help: 'Sagas of the last arcadia snapshot run by how they ended.',
      type: 'gauge',
      samples: [...counts].map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'arcadia_api_requests_total',
      help: 'Requests the last arcadia snapshot run sent to the DigitalOcean API, retries included.',
      type: 'counter',
      samples: [{ value: run.apiRequests }],
    },
  ];
  if (ledger === null) return families;
  const kept = keptPerDroplet(ledger);
  const dropletIds = [...kept.keys()].sort((a, b) => a - b);
  families.push(
    {
      name: 'arcadia_last_success_timestamp_seconds',
      help: "When each droplet's newest successful snapshot saga finished, in seconds since the epoch.",
      type: 'gauge',
      samples: newestPerDroplet(ledger.succeeded).map((s) => ({
        labels: { droplet_id: String(s.dropletId), droplet_name: s.dropletName },
        value: seconds(s.finishedAt),
      })),
    },
    {
      name: 'arcadia_snapshots_kept',
      help: 'Snapshots arcadia took of each droplet that neither retention nor a reconcile deleted.',
      type: 'gauge',
      samples: dropletIds.map((id) => ({ labels: { droplet_id: String(id) }, value: kept.get(id)?.count ?? 0 })),
    },
    {
      name: 'arcadia_snapshot_bytes',
      help: 'Size of the snapshots of each droplet counted by arcadia_snapshots_kept, in bytes.',
      type: 'gauge',
      samples: dropletIds.map((id) => ({ labels: { droplet_id: String(id) }, value: kept.get(id)?.bytes ?? 0 })),
    },
  );
  if (ledger.leakedSnapshots !== null) {
    families.push({
      name: 'arcadia_leaked_snapshots',
      help: 'Leaked arcadia snapshots the last reconcile found that are not deleted since.',
      type: 'gauge',
      samples: [{ value: ledger.leakedSnapshots }],
    });
  }
  return families;
}
