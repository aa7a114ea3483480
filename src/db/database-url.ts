import { integerFromEnv } from '../env-integer.js';
import { DatabaseUrlError } from './errors.js';

/** Where the ledger lives: the SQLite file of the home, or a PostgreSQL database. */
export type LedgerTarget = { backend: 'sqlite' } | PostgresTarget;

/** A PostgreSQL database to hold the ledger. Only `password` is secret; `location` is what messages show. */
export interface PostgresTarget {
  backend: 'postgres';
  /** The URL without its password: what the driver parses (host, port, database, user, sslmode, ...). */
  connectionString: string;
  /** From the URL; when absent the driver reads PGPASSWORD, then ~/.pgpass, as libpq does. */
  password: string | undefined;
  /** `host:port/dbname`: how the database is named in errors, `ledger info` and logs. */
  location: string;
  connectTimeoutMs: number;
  /** How long one statement may take before the database counts as lost (a hung server, a cut network). */
  queryTimeoutMs: number;
}

export const DATABASE_URL_VARIABLE = 'ARCADIA_DATABASE_URL';

/**
 * Parses a postgres:// or postgresql:// URL. The error never repeats the URL: it may carry a password, so it says
 * only what is wrong with it.
 */
export function parsePostgresUrl(
  raw: string,
  timeouts: { connectTimeoutMs: number; queryTimeoutMs: number },
  variable = DATABASE_URL_VARIABLE,
): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DatabaseUrlError(variable, 'is not a URL (expected postgres://user@host:port/dbname)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(variable, 'must start with postgres:// or postgresql://');
  }
  if (url.hostname === '') throw new DatabaseUrlError(variable, 'names no host (expected postgres://user@host/dbname)');
  let password: string | undefined;
  let user: string;
  let database: string;
  try {
    password = url.password === '' ? undefined : decodeURIComponent(url.password);
    user = decodeURIComponent(url.username);
    database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  } catch {
    throw new DatabaseUrlError(variable, 'has a badly percent-encoded user, password or database name');
  }
  if (database.includes('/')) throw new DatabaseUrlError(variable, 'has a path that is not one database name');
  if (url.port !== '' && !(Number(url.port) > 0)) throw new DatabaseUrlError(variable, 'has an invalid port');
  url.password = '';
  // libpq's default database is the user's name.
  const location = `${url.hostname}:${url.port || '5432'}/${database || user || 'postgres'}`;
  return { backend: 'postgres', connectionString: url.toString(), password, location, ...timeouts };
}

/** The ledger the environment selects: ARCADIA_DATABASE_URL set means PostgreSQL; unset or blank, SQLite. */
export function ledgerTargetFromEnv(env: NodeJS.ProcessEnv): LedgerTarget {
  const raw = env[DATABASE_URL_VARIABLE];
  if (raw === undefined || raw.trim() === '') return { backend: 'sqlite' };
  return parsePostgresUrl(raw, databaseTimeoutsFromEnv(env));
}

export function databaseTimeoutsFromEnv(env: NodeJS.ProcessEnv): { connectTimeoutMs: number; queryTimeoutMs: number } {
  return {
    connectTimeoutMs: integerFromEnv(env, 'ARCADIA_DATABASE_CONNECT_TIMEOUT_MS', 10_000, 1),
    queryTimeoutMs: integerFromEnv(env, 'ARCADIA_DATABASE_QUERY_TIMEOUT_MS', 30_000, 1),
  };
}

/** Replaces the password wherever a driver message might quote it (defence in depth: none is known to). */
export function withoutSecret(text: string, target: Pick<PostgresTarget, 'password'>): string {
  const { password } = target;
  if (!password) return text;
  return text.split(password).join('***').split(encodeURIComponent(password)).join('***');
}
