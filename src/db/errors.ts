import { ArcadiaError, UsageError } from '../errors.js';

/**
 * The ledger cannot be created, opened or written: a read-only home or bad path (SQLite), a database that refuses
 * the connection, drops it or does not answer in time (PostgreSQL). `path` is the SQLite file or the database as
 * `host:port/dbname`, never with a password.
 */
export class LedgerUnavailableError extends ArcadiaError {
  readonly code = 'ledger_unavailable';
  /**
   * Halts the executor (isHaltingError): a database lost mid-step surfaces inside the step, whose requests check
   * the lease in the ledger, and must stop it resumable, never fail it and start compensating.
   */
  readonly haltsExecutor = true;
  constructor(
    readonly path: string,
    reason: string,
    advice = 'set ARCADIA_HOME to a writable folder',
  ) {
    super(`cannot use the ledger at ${path}: ${reason} (${advice})`);
  }
}

/** ARCADIA_DATABASE_URL (or `ledger copy --to`) is not a PostgreSQL URL arcadia can use: exit 2, nothing touched. */
export class DatabaseUrlError extends UsageError {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

export class LedgerCorruptError extends ArcadiaError {
  readonly code = 'ledger_corrupt';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`the ledger at ${path} is not a readable arcadia ledger (${reason}); it was left untouched`);
  }
}

/** Written by a newer arcadia: refusing is the only way not to damage what that version relies on. */
export class LedgerTooNewError extends ArcadiaError {
  readonly code = 'ledger_too_new';
  constructor(
    readonly path: string,
    readonly ledgerMigrations: number,
    readonly knownMigrations: number,
  ) {
    super(
      `the ledger at ${path} has schema version ${ledgerMigrations}, newer than this arcadia knows ` +
        `(${knownMigrations}); ` +
        'upgrade arcadia. The ledger was left untouched',
    );
  }
}

/** Another process held the ledger's write lock for longer than the busy timeout. */
export class LedgerBusyError extends ArcadiaError {
  readonly code = 'ledger_busy';
  constructor(
    readonly path: string,
    readonly waitedMs: number,
    /** The setting that bounds the wait: SQLite's busy timeout, PostgreSQL's statement timeout. */
    variable = 'ARCADIA_BUSY_TIMEOUT_MS',
  ) {
    super(
      `the ledger at ${path} stayed locked by another process for ${waitedMs} ms (${variable}); ` +
        `nothing was written, try again`,
    );
  }
}

/**
 * The ledger's tables are there but not as arcadia's migrations left them (the migrations table was dropped, a
 * table or column is missing): migrating or writing could only make it worse.
 */
export class LedgerSchemaError extends ArcadiaError {
  readonly code = 'ledger_schema_unknown';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`the ledger at ${path} does not have arcadia's schema (${reason}); it was left untouched`);
  }
}

/** One saga's row holds what arcadia cannot decode (invalid JSON, an unknown status): that saga alone is unusable. */
export class LedgerRowError extends ArcadiaError {
  readonly code = 'ledger_row_unreadable';
  constructor(
    readonly path: string,
    readonly sagaId: string,
    readonly problem: string,
  ) {
    super(`saga ${sagaId} in the ledger at ${path} is unreadable: ${problem}; it was left untouched`);
  }
}
