import type { Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { collect } from '../../parse.js';
import { runRestore } from './run-restore.js';

interface RestoreFlags {
  name?: string;
  size?: string;
  region?: string;
  tag: string[];
  triggeredBy: string;
  detach: boolean;
  json: boolean;
}

export function registerRestore(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('restore')
    .description('create a droplet from a snapshot, exactly once, as a saga')
    .argument('<snapshot-id>', 'a droplet snapshot id (as doctl compute snapshot list or arcadia saga show give it)')
    .option('--name <name>', 'the new droplet name (default arcadia-restore-<saga8>)')
    .option('--size <slug>', "the droplet size (default the cheapest whose disk fits the snapshot's min_disk_size)")
    .option('--region <slug>', "one of the snapshot's regions (default its first)")
    .option(
      '--tag <tag>',
      'a tag for the new droplet (repeatable); arcadia-saga-<saga id> is always added',
      collect,
      [],
    )
    .option('--triggered-by <who>', 'recorded on the saga', 'manual')
    .option('--detach', 'record the saga without running it (run later with saga resume)', false)
    .option('--json', 'print the result as JSON', false)
    .addHelpText(
      'after',
      `
Examples:
  arcadia restore 150000123
  arcadia restore 150000123 --name web-01-restored --size s-2vcpu-4gb --region ams3 --tag restored
  arcadia restore 150000123 --json`,
    )
    .action(async (snapshotId: string, o: RestoreFlags) => {
      const { name, size, region, triggeredBy, detach, json } = o;
      setExit(await runRestore({ snapshotId, name, size, region, tags: o.tag, triggeredBy, detach, json }, ctx));
    });
}
