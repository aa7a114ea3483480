import { withoutSecret, type PostgresTarget } from './database-url.js';
import { LedgerBusyError, LedgerSchemaError, LedgerUnavailableError } from './errors.js';

const RETRY_ADVICE = 'check that the database server runs and is reachable, then try again';

/** Node's socket errors that mean the server cannot be reached or the connection is gone. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLSTATEs of a server that refuses us or is going away: 08 connection, 57P0x shutdown, 28 auth, 3D database. */
function unavailableState(state: string): boolean {
  return (
    state.startsWith('08') ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03' ||
    state.startsWith('28') ||
    state === '3D000' ||
    state === '53300' // too many connections
  );
}

/** What node-postgres itself throws when a connection is lost or never answers. */
const LOST_CONNECTION = /Connection terminated|connection timeout|timeout expired|Query read timeout|not queryable/i;

function field(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(name in error)) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The first socket error code of an error (connecting to a name with two addresses throws an AggregateError). */
function socketCode(error: unknown): string | undefined {
  const code = field(error, 'code');
  if (code !== undefined && SOCKET_CODES.has(code)) return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = socketCode(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/**
 * Turns driver errors into the ledger errors SQLite's path raises, naming the database as `host:port/dbname` and
 * never its password; leaves everything else (a constraint violated by a bug, arcadia's own errors) alone.
 * Drizzle wraps the driver's error in its own (`cause`), so the whole chain is looked at.
 */
export function translatePostgresError(error: unknown, target: PostgresTarget): unknown {
  for (let inner: unknown = error, depth = 0; inner !== undefined && depth < 5; depth++) {
    const translated = translateOne(inner, target);
    if (translated !== inner) return translated;
    inner = inner instanceof Error ? inner.cause : undefined;
  }
  return error;
}

function translateOne(error: unknown, target: PostgresTarget): unknown {
  const message = error instanceof Error ? withoutSecret(error.message, target) : String(error);
  const socket = socketCode(error);
  if (socket !== undefined) {
    return new LedgerUnavailableError(target.location, `${socket} (${message})`, RETRY_ADVICE);
  }
  const state = field(error, 'code');
  if (state !== undefined && /^[0-9A-Z]{5}$/.test(state)) {
    if (unavailableState(state)) return new LedgerUnavailableError(target.location, message, RETRY_ADVICE);
    // A lock wait, deadlock or serialization failure: nothing was written.
    if (state === '55P03' || state === '40P01' || state === '40001' || state === '57014') {
      return new LedgerBusyError(target.location, target.queryTimeoutMs, 'ARCADIA_DATABASE_QUERY_TIMEOUT_MS');
    }
    if (state === '42P01' || state === '42703') return new LedgerSchemaError(target.location, message);
    return error;
  }
  if (error instanceof Error && LOST_CONNECTION.test(error.message)) {
    return new LedgerUnavailableError(target.location, message, RETRY_ADVICE);
  }
  return error;
}
