import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parsePostgresUrl, type PostgresTarget } from '../../src/db/database-url.js';
import { startPrivateServer, type PrivateServer } from '../lib/postgres-server.js';

/** A superuser URL to a server the chaos run may create databases on; the private server's when unset. */
export const CHAOS_DATABASE_URL_VARIABLE = 'ARCADIA_CHAOS_DATABASE_URL';

/** One run's own database: both hosts' ARCADIA_DATABASE_URL. The URL carries the password: never print it. */
export interface RunDatabase {
  /** The database's name, the one thing of it a kept run records. */
  name: string;
  url: string;
  target: PostgresTarget;
  drop(): Promise<void>;
}

export interface ChaosDatabaseServer {
  /** Where the databases are: the private server started for this chaos run, or ARCADIA_CHAOS_DATABASE_URL's. */
  origin: 'private server' | typeof CHAOS_DATABASE_URL_VARIABLE;
  createRunDatabase(seed: number): Promise<RunDatabase>;
  /** Stops the private server (its kept databases go with it); nothing for a given server. */
  stop(): Promise<void>;
}

async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The server of a `--postgres` chaos run: ARCADIA_CHAOS_DATABASE_URL when set, else a private one started now. */
export async function startChaosDatabaseServer(env: NodeJS.ProcessEnv = process.env): Promise<ChaosDatabaseServer> {
  const given = env[CHAOS_DATABASE_URL_VARIABLE]?.trim() ?? '';
  let server: PrivateServer | undefined;
  let superuserUrl = given;
  if (given === '') {
    server = await startPrivateServer(env);
    superuserUrl = server.url;
  }
  return {
    origin: server ? 'private server' : CHAOS_DATABASE_URL_VARIABLE,
    createRunDatabase: async (seed) => {
      // The seed names it for whoever inspects a kept run; the random part keeps two runs of one seed apart.
      const name = `arcadia_chaos_${seed}_${randomBytes(3).toString('hex')}`;
      await asSuperuser(superuserUrl, (client) => client.query(`CREATE DATABASE ${name}`));
      const url = new URL(superuserUrl);
      url.pathname = `/${name}`;
      return {
        name,
        url: url.toString(),
        target: parsePostgresUrl(url.toString(), { connectTimeoutMs: 10_000, queryTimeoutMs: 30_000 }),
        drop: async () => {
          await asSuperuser(superuserUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        },
      };
    },
    stop: async () => {
      await server?.stop();
    },
  };
}
