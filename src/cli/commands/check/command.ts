import { type CommanderError, type Command } from 'commander';
import { NagiosUnknownError, type ExitCode } from '../../exit-codes.js';
import type { CliContext } from '../../app.js';
import { runCheck } from './run-check.js';

interface CheckFlags {
  tag?: string;
  warn: string;
  crit: string;
  drillWarn?: string;
  json: boolean;
}

const SHOWN_BY_COMMANDER = ['commander.helpDisplayed', 'commander.help', 'commander.version'];

export function registerCheck(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  program
    .command('check')
    .description("Nagios/Icinga/Sensu plugin: the age of each droplet's newest successful snapshot")
    .argument('[droplet-id...]', 'droplet ids (default: every droplet the ledger has snapshots of)')
    .option('--tag <tag>', 'also every droplet carrying this tag (lists droplets: needs a token)')
    .option('--warn <age>', 'WARNING from this age, e.g. 26h, 90m, 1d12h', '26h')
    .option('--crit <age>', 'CRITICAL from this age', '32h')
    .option('--drill-warn <age>', 'also WARNING when the last successful drill is this old or none, e.g. 8d')
    .option('--json', 'print the same data as JSON', false)
    .addHelpText(
      'after',
      `
Exit codes (Nagios plugin): 0 OK, 1 WARNING, 2 CRITICAL (a droplet with no successful snapshot is CRITICAL),
3 UNKNOWN (bad arguments, an unreadable ledger, no token for --tag). With --drill-warn, a droplet whose last
successful restore drill (arcadia drill) is that old, or that was never drilled, is a WARNING too.

Examples:
  arcadia check --tag web --warn 26h --crit 32h
  arcadia check 123456 --json
  arcadia check --tag web --drill-warn 8d`,
    )
    // A bad argument here is the plugin failing: UNKNOWN, not commander's usage code.
    .exitOverride((error: CommanderError) => {
      if (SHOWN_BY_COMMANDER.includes(error.code)) throw error;
      throw new NagiosUnknownError(error.message.replace(/^error: /, ''));
    })
    .action(async (dropletIds: string[], o: CheckFlags) => {
      setExit(
        await runCheck(
          { dropletIds, tag: o.tag, warn: o.warn, crit: o.crit, drillWarn: o.drillWarn, json: o.json },
          ctx,
        ),
      );
    });
}
