import { existsSync } from 'node:fs';
import { loadSettings } from '../../../config.js';
import { ledgerTargetFromEnv } from '../../../db/database-url.js';
import { postgresLedgerInfo, sqliteLedgerInfo, type LedgerInfo } from '../../../db/ledger-info.js';
import { ledgerPath, openLedgerDatabase } from '../../../db/open.js';
import { PgSagaLedger } from '../../../db/pg-ledger.js';
import { Output } from '../../../output/output.js';
import { printLedgerInfo } from '../../../output/views/ledger-view.js';
import type { CliContext } from '../../app.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';

export interface LedgerInfoOptions {
  json: boolean;
}

/** The ledger the environment selects (ARCADIA_DATABASE_URL, else the home's SQLite file), read only. */
export async function readLedgerInfo(env: NodeJS.ProcessEnv): Promise<LedgerInfo> {
  const target = ledgerTargetFromEnv(env);
  if (target.backend === 'postgres') {
    const ledger = await PgSagaLedger.open(target, { poolSize: 1 });
    try {
      return await postgresLedgerInfo(ledger);
    } finally {
      await ledger.close();
    }
  }
  const settings = loadSettings(env);
  const path = ledgerPath(settings.home);
  const db = openLedgerDatabase({ home: settings.home, busyTimeoutMs: settings.busyTimeoutMs, readOnly: true });
  try {
    const info = sqliteLedgerInfo(db, path);
    // A home without a ledger yet reads as an empty ledger in memory: its version is that of none.
    return existsSync(path) ? info : { ...info, schemaVersion: 0 };
  } finally {
    db.close();
  }
}

export async function runLedgerInfo(opts: LedgerInfoOptions, ctx: CliContext): Promise<ExitCode> {
  const output = await Output.detect(ctx.streams, ctx.env, opts.json);
  printLedgerInfo(output, await readLedgerInfo(ctx.env));
  return EXIT.ok;
}
