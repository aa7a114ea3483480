import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { UsageError } from '../../../errors.js';
import {
  isEmptyPolicy,
  parseRetentionDuration,
  validateTimeZone,
  type RetentionPolicy,
} from '../../../sagas/snapshot/retention-policy.js';
import { intInRange } from '../../parse.js';
import { isRegionSlug, REGION_SLUGS } from '../../../digitalocean/regions.js';
import { runSnapshot } from './run-snapshot.js';

interface SnapshotFlags {
  tag?: string;
  label?: string;
  powerOff: boolean;
  keep?: number;
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  tz?: string;
  withVolumes: boolean;
  copyTo: string[];
  concurrency: number;
  triggeredBy?: string;
  detach: boolean;
  dryRun: boolean;
  json: boolean;
  metricsFile?: string;
  ping?: string;
}

const BUCKETS = intInRange(1, 100_000);

/** The retention flags as one policy, checked before anything is opened; undefined when none is given. */
export function retentionPolicyOf(flags: SnapshotFlags): RetentionPolicy | undefined {
  if (flags.keep !== undefined && flags.keepLast !== undefined) {
    throw new UsageError('--keep is --keep-last by another name: give one of them');
  }
  const policy: RetentionPolicy = {};
  const counts = {
    keepLast: flags.keepLast ?? flags.keep,
    keepHourly: flags.keepHourly,
    keepDaily: flags.keepDaily,
    keepWeekly: flags.keepWeekly,
    keepMonthly: flags.keepMonthly,
    keepYearly: flags.keepYearly,
  };
  for (const [option, count] of Object.entries(counts) as [keyof typeof counts, number | undefined][]) {
    if (count !== undefined) policy[option] = count;
  }
  if (flags.keepWithin !== undefined) policy.keepWithin = parseRetentionDuration(flags.keepWithin);
  if (flags.tz !== undefined) policy.tz = validateTimeZone(flags.tz);
  if (!isEmptyPolicy(policy)) return policy;
  if (flags.tz !== undefined) throw new UsageError('--tz sets the retention calendar: give a --keep-* option too');
  return undefined;
}

/** `--copy-to` is repeatable: each value a known region slug, each region once. */
function collectRegion(value: string, previous: string[]): string[] {
  if (!isRegionSlug(value)) {
    throw new InvalidArgumentError(
      `${JSON.stringify(value.slice(0, 40))} is not a region slug (${REGION_SLUGS.join(', ')})`,
    );
  }
  return previous.includes(value) ? previous : [...previous, value];
}

export function registerSnapshot(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('snapshot')
    .description('take droplet snapshots, exactly once each, as sagas')
    .argument('[droplet-id...]', 'droplet ids')
    .option('--tag <tag>', 'also every droplet carrying this tag')
    .option('--label <label>', 'appended to the snapshot name (a-z, 0-9, . _ -)')
    .option('--power-off', 'shut the droplet down for a consistent snapshot, then power it back on', false)
    .option('--keep-last <n>', 'retention: keep the newest n arcadia snapshots of each droplet', intInRange(1, 1000))
    .option('--keep <n>', 'the same as --keep-last', intInRange(1, 1000))
    .option('--keep-hourly <n>', 'retention: keep the newest of each of the last n hours that have a snapshot', BUCKETS)
    .option('--keep-daily <n>', 'retention: the same per day', BUCKETS)
    .option('--keep-weekly <n>', 'retention: the same per ISO week (Monday to Sunday)', BUCKETS)
    .option('--keep-monthly <n>', 'retention: the same per month', BUCKETS)
    .option('--keep-yearly <n>', 'retention: the same per year', BUCKETS)
    .option('--keep-within <duration>', 'retention: keep all within 1y2m3w4d5h (m = months) of the newest snapshot')
    .option('--tz <zone>', 'time zone of the retention calendar buckets (default UTC), e.g. Europe/Paris')
    .option('--with-volumes', 'also snapshot every volume attached to the droplet, in the same saga', false)
    .option('--copy-to <region>', 'copy the snapshot to this region once taken (repeatable)', collectRegion, [])
    .option('--concurrency <n>', 'droplets snapshotted at once', intInRange(1, 1000), 5)
    .option('--triggered-by <who>', 'recorded on each saga (default manual, or cron:<tag> with --tag)')
    .option('--dry-run', 'with a --keep-* option: show what retention keeps or deletes, and why; change nothing', false)
    .option('--detach', 'record the sagas without running them (run later with saga resume --all)', false)
    .option('--json', 'print one JSON entry per droplet', false)
    .option('--metrics-file <path>', 'after the run, write Prometheus metrics there (node_exporter textfile collector)')
    .option('--ping <url>', 'healthchecks-style pings: <url>/start, then <url> on success or <url>/<exit code>')
    .addHelpText(
      'after',
      `
Examples:
  arcadia snapshot 123456
  arcadia snapshot 123456 --power-off --label before-upgrade
  arcadia snapshot --tag web --keep 7 --json
  arcadia snapshot --tag web --keep 7 --dry-run
  arcadia snapshot --tag web --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --tz Europe/Paris --dry-run
  arcadia snapshot --tag web --keep-last 3 --keep-within 14d
  arcadia snapshot 123456 --power-off --with-volumes --copy-to ams3 --copy-to sfo3
  arcadia snapshot --tag web --keep-daily 7 --metrics-file /var/lib/node_exporter/textfile/arcadia.prom
  arcadia snapshot --tag web --ping https://hc-ping.com/<uuid>`,
    )
    .action(async (dropletIds: string[], o: SnapshotFlags) => {
      const { tag, label, triggeredBy, powerOff, withVolumes, copyTo, concurrency, detach, dryRun, json } = o;
      const retention = retentionPolicyOf(o);
      const opts = {
        ...{ dropletIds, tag, label, retention, triggeredBy, powerOff, withVolumes, copyTo },
        ...{ concurrency, detach, dryRun, json, metricsFile: o.metricsFile, ping: o.ping },
      };
      setExit(await runSnapshot(opts, ctx));
    });
}
