import type { Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { intInRange } from '../../parse.js';
import { runDrill } from './run-drill.js';

interface DrillFlags {
  tag?: string;
  sample: number;
  concurrency: number;
  triggeredBy?: string;
  json: boolean;
}

export function registerDrill(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('drill')
    .description("prove backups restore: restore droplets' newest arcadia snapshots into temporary droplets")
    .argument('[droplet-id...]', 'droplet ids')
    .option('--tag <tag>', 'also every droplet carrying this tag')
    .option(
      '--sample <n>',
      'droplets drilled this run: those drilled longest ago, never drilled first',
      intInRange(1, 1000),
      1,
    )
    .option('--concurrency <n>', 'drills at once', intInRange(1, 50), 2)
    .option('--triggered-by <who>', 'recorded on each saga (default manual, or cron:<tag> with --tag)')
    .option('--json', 'print the drills, the droplets not drilled and the cost as JSON', false)
    .addHelpText(
      'after',
      `
Each drill is one saga: create a droplet from the snapshot (tagged arcadia-saga-<saga id> and arcadia-drill),
wait until it is active (the time is recorded), delete it. A crash is resumed or rolled back; no drill leaves a
droplet running. Exit 0 when every drilled snapshot restored, 1 when a drill failed (rolled back).

Examples:
  arcadia drill 123456
  arcadia drill --tag web --sample 2 --json
  arcadia check --tag web --drill-warn 8d`,
    )
    .action(async (dropletIds: string[], o: DrillFlags) => {
      const opts = { dropletIds, tag: o.tag, sample: o.sample, concurrency: o.concurrency, json: o.json };
      setExit(await runDrill({ ...opts, triggeredBy: o.triggeredBy }, ctx));
    });
}
