import pg from 'pg';
import { parsePostgresUrl } from '../../src/db/database-url.js';
import { describe, expect, it } from 'vitest';
import { startChaosDatabaseServer } from '../../tools/chaos/database.js';
import { planRun, SINGLE_DROPLET, type RunPlan } from '../../tools/chaos/plan.js';
import { executeRun, HOST_A, HOST_B, sessionCutWhileStopped } from '../../tools/chaos/run.js';
import { postgresServerUrl } from '../helpers/postgres.js';

/**
 * A single snapshot killed on host A just after its snapshot POST, with no faults and a short stale time: only
 * host B's first `saga resume --all` may finish it, by taking the dead owner's lease over once its heartbeat is
 * stale (B never probes A's pids).
 */
function killedOnA(): RunPlan {
  const base = planRun(1, ['single']);
  return {
    ...base,
    args: ['snapshot', String(SINGLE_DROPLET), '--json'],
    sim: { ...base.sim, rateLimitPerMinute: null, faults: { seed: 1 } },
    env: { ...base.env, ARCADIA_LOCK_STALE_MS: '1000' },
    kill: { kind: 'failpoint', point: 'snapshot.after-post', nth: 1 },
    resumeKill: { kind: 'none' },
    intruder: { kind: 'none' },
    labels: [],
  };
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresServerUrl() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return found.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('the chaos suite on PostgreSQL with two hosts', () => {
  it('a run killed on host A is finished by host B through the stale lease; its database is dropped', async () => {
    const server = await startChaosDatabaseServer({ ARCADIA_CHAOS_DATABASE_URL: postgresServerUrl() });
    try {
      const outcome = await executeRun(killedOnA(), { database: server });
      expect(outcome.violations.map((v) => `[${v.rule}] ${v.message}`)).toEqual([]);
      expect(outcome.kills.failpoint).toBe(1);
      // One resume, and the first resume runs on B: B took the saga over from A.
      expect(outcome.resumes).toBe(1);
      expect(outcome.sagas).toEqual({ succeeded: 1 });
      expect(outcome.hostProcesses).toEqual({ [HOST_A]: 1, [HOST_B]: 1 });
      expect(outcome.database).toMatch(/^arcadia_chaos_1_[0-9a-f]{6}$/);
      expect(await databaseExists(outcome.database ?? '')).toBe(false);
      const password = decodeURIComponent(new URL(postgresServerUrl()).password);
      expect(JSON.stringify(outcome)).not.toContain(password);
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe('a first command whose database session was cut while it was stopped', () => {
  const database = {
    target: parsePostgresUrl('postgres://u@127.0.0.1:5432/arcadia_chaos_9_abcdef', {
      connectTimeoutMs: 1000,
      queryTimeoutMs: 1000,
    }),
  };
  const lost = 'Client has encountered a connection error and is not queryable';
  // What arcadia printed in chaos runs: a single command's error, and a drill's saga that met the lost session.
  const single = { code: 4, stdout: `{"error":{"code":"ledger_unavailable","message":"${lost}"}}` };
  const drill = {
    code: 4,
    stdout: `[{"status":"interrupted",\n "error": "cannot use the ledger at ${database.target.location}: ${lost}"}]`,
  };

  it("is excused on PostgreSQL after a pause, as an error code or a saga's error naming the run's database", () => {
    expect(sessionCutWhileStopped(single, true, database)).toBe(true);
    expect(sessionCutWhileStopped(drill, true, database)).toBe(true);
  });

  it('is not without a pause, on SQLite, for another exit, another error or another database', () => {
    expect(sessionCutWhileStopped(single, false, database)).toBe(false);
    expect(sessionCutWhileStopped(single, true, undefined)).toBe(false);
    expect(sessionCutWhileStopped({ ...single, code: 1 }, true, database)).toBe(false);
    expect(sessionCutWhileStopped({ code: 4, stdout: '{"error":{"code":"ledger_busy"}}' }, true, database)).toBe(false);
    const elsewhere = drill.stdout.replace('arcadia_chaos_9_abcdef', 'other');
    expect(sessionCutWhileStopped({ code: 4, stdout: elsewhere }, true, database)).toBe(false);
  });
});
