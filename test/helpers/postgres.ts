import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { parsePostgresUrl, type PostgresTarget } from '../../src/db/database-url.js';
import { cleanupAfterTest, type TestFinisher } from './cleanup.js';

/** The superuser URL of the run's server (test/helpers/postgres-global-setup.ts). Secret: never print it. */
export function postgresServerUrl(): string {
  return inject('postgresUrl');
}

export interface TestDatabase {
  name: string;
  /** postgres://user:password@127.0.0.1:port/name */
  url: string;
  /** The password of the URL, for asserting it appears nowhere. */
  password: string;
  target(timeouts?: Partial<Pick<PostgresTarget, 'connectTimeoutMs' | 'queryTimeoutMs'>>): PostgresTarget;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresServerUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database on the run's server: test files running in parallel never share one. Dropped when the
 * test ends (pass the test context in concurrent tests), or by the caller outside a test.
 */
export async function createTestDatabase(options: { test?: TestFinisher } = {}): Promise<TestDatabase> {
  const name = `arcadia_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresServerUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  };
  cleanupAfterTest(drop, options.test);
  return {
    name,
    url: url.toString(),
    password: decodeURIComponent(url.password),
    target: (timeouts = {}) =>
      parsePostgresUrl(url.toString(), {
        connectTimeoutMs: timeouts.connectTimeoutMs ?? 5_000,
        queryTimeoutMs: timeouts.queryTimeoutMs ?? 10_000,
      }),
    drop,
  };
}

/** One database for a whole test file (created on first use, dropped after the file's last test). */
export function fileDatabase(): () => Promise<TestDatabase> {
  let database: Promise<TestDatabase> | undefined;
  afterAll(async () => {
    if (database) await (await database).drop();
  });
  return () => {
    database ??= createTestDatabase({ test: { onTestFinished: () => undefined } });
    return database;
  };
}
