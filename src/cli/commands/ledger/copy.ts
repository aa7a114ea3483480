import { existsSync } from 'node:fs';
import { loadSettings } from '../../../config.js';
import { databaseTimeoutsFromEnv, parsePostgresUrl } from '../../../db/database-url.js';
import { copySqliteLedgerToPostgres, type LedgerCopyReport } from '../../../db/ledger-copy.js';
import { ledgerPath, openLedgerDatabase } from '../../../db/open.js';
import { PgSagaLedger } from '../../../db/pg-ledger.js';
import { UsageError } from '../../../errors.js';
import { Output } from '../../../output/output.js';
import { printLedgerCopy } from '../../../output/views/ledger-view.js';
import type { CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';

export interface LedgerCopyOptions {
  /** postgres://... of the target; may carry a password, so it is never printed. */
  to: string;
  json: boolean;
}

/** Copies this home's SQLite ledger into the empty PostgreSQL ledger at `to` (see copySqliteLedgerToPostgres). */
export async function copyLedger(
  opts: Pick<LedgerCopyOptions, 'to'>,
  env: NodeJS.ProcessEnv,
): Promise<LedgerCopyReport> {
  const target = parsePostgresUrl(opts.to, databaseTimeoutsFromEnv(env), '--to');
  const settings = loadSettings(env);
  const path = ledgerPath(settings.home);
  if (!existsSync(path)) throw new UsageError(`there is no SQLite ledger at ${path} to copy (set ARCADIA_HOME)`);
  const sqlite = openLedgerDatabase({ home: settings.home, busyTimeoutMs: settings.busyTimeoutMs, readOnly: true });
  try {
    const ledger = await PgSagaLedger.open(target, { poolSize: 1 });
    try {
      return await copySqliteLedgerToPostgres(sqlite, path, ledger);
    } finally {
      await ledger.close();
    }
  } finally {
    sqlite.close();
  }
}

export async function runLedgerCopy(opts: LedgerCopyOptions, ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  printLedgerCopy(output, await copyLedger(opts, ctx.env));
  return EXIT.ok;
}
