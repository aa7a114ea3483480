import type { Command } from 'commander';
import type { CliContext } from '../../app.js';
import type { ExitCode } from '../../exit-codes.js';
import { runLedgerCopy } from './copy.js';
import { runLedgerInfo } from './info.js';

export function registerLedger(program: Command, ctx: CliContext, setExit: (code: ExitCode) => void): void {
  const ledger = program.command('ledger').description('where the ledger is, what it holds, and moving it');
  ledger
    .command('info')
    .description('the backend (SQLite or PostgreSQL), its location, schema version and counts')
    .option('--json', 'print it as JSON', false)
    .addHelpText(
      'after',
      '\nExamples:\n  arcadia ledger info\n' +
        '  ARCADIA_DATABASE_URL=postgres://arcadia@db/arcadia arcadia ledger info --json',
    )
    .action(async (o: { json: boolean }) => {
      setExit(await runLedgerInfo({ json: o.json }, ctx));
    });
  ledger
    .command('copy')
    .description("copy this home's SQLite ledger (sagas, steps, events, reports) into an empty PostgreSQL ledger")
    .requiredOption('--to <url>', 'postgres://user@host:port/dbname (password: PGPASSWORD or ~/.pgpass)')
    .option('--json', 'print what was copied as JSON', false)
    .addHelpText(
      'after',
      `
The copy is one transaction: the target must be empty, and the counts are compared before it commits. Then set
ARCADIA_DATABASE_URL to the same URL on every host.

Examples:
  arcadia ledger copy --to postgres://arcadia@db.internal:5432/arcadia`,
    )
    .action(async (o: { to: string; json: boolean }) => {
      setExit(await runLedgerCopy({ to: o.to, json: o.json }, ctx));
    });
}
