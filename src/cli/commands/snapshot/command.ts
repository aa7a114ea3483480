import type { Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { intInRange } from '../../parse.js';
import { runSnapshot } from './run-snapshot.js';

interface SnapshotFlags {
  tag?: string;
  label?: string;
  powerOff: boolean;
  keep?: number;
  concurrency: number;
  triggeredBy?: string;
  detach: boolean;
  dryRun: boolean;
  json: boolean;
}

export function registerSnapshot(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('snapshot')
    .description('take droplet snapshots, exactly once each, as sagas')
    .argument('[droplet-id...]', 'droplet ids')
    .option('--tag <tag>', 'also every droplet carrying this tag')
    .option('--label <label>', 'appended to the snapshot name (a-z, 0-9, . _ -)')
    .option('--power-off', 'shut the droplet down for a consistent snapshot, then power it back on', false)
    .option(
      '--keep <n>',
      'afterwards delete older arcadia snapshots of each droplet, keeping the newest n',
      intInRange(1, 1000),
    )
    .option('--concurrency <n>', 'droplets snapshotted at once', intInRange(1, 50), 5)
    .option('--triggered-by <who>', 'recorded on each saga (default manual, or cron:<tag> with --tag)')
    .option('--dry-run', 'with --keep: show what retention would delete, and do nothing', false)
    .option('--detach', 'record the sagas without running them (run later with saga resume --all)', false)
    .option('--json', 'print one JSON entry per droplet', false)
    .addHelpText(
      'after',
      `
Examples:
  arcadia snapshot 123456
  arcadia snapshot 123456 --power-off --label before-upgrade
  arcadia snapshot --tag web --keep 7 --json
  arcadia snapshot --tag web --keep 7 --dry-run`,
    )
    .action(async (dropletIds: string[], o: SnapshotFlags) => {
      const { tag, label, keep, triggeredBy, powerOff, concurrency, detach, dryRun, json } = o;
      const opts = { dropletIds, tag, label, keep, triggeredBy, powerOff, concurrency, detach, dryRun, json };
      setExit(await runSnapshot(opts, ctx));
    });
}
