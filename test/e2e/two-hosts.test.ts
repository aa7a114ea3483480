import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import type { SagaRecord } from '../../src/engine/types.js';
import { waitFor } from '../helpers/arcadia.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { FAST_SIMULATOR, arcadia, sandbox, start, type Sandbox } from './harness.js';

const STALE_MS = 1_500;

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

interface Entry {
  dropletId: number;
  sagaId: string | null;
  status: string;
  error: string | null;
}

/** Two hosts of one fleet: their own homes and host ids, one simulated provider, one PostgreSQL ledger. */
async function twoHosts(actionMs: number) {
  const database = await createTestDatabase();
  box = await sandbox(
    {
      ...FAST_SIMULATOR,
      droplets: [],
      fleet: { count: 6, tag: 'web', firstId: 5000 },
      actionDurationMs: { snapshot: actionMs },
    },
    {
      ARCADIA_DATABASE_URL: database.url,
      ARCADIA_HOST_ID: 'host-a',
      ARCADIA_LOCK_STALE_MS: String(STALE_MS),
      ARCADIA_HEARTBEAT_MS: '100',
    },
  );
  const otherHome = mkdtempSync(join(tmpdir(), 'arcadia-e2e-b-'));
  onTestFinished(() => rmSync(otherHome, { recursive: true, force: true }));
  const a = box.env;
  const b = { ...box.env, ARCADIA_HOME: otherHome, ARCADIA_HOST_ID: 'host-b' };
  return { database, sim: box.sim, a, b };
}

async function sagasIn(database: TestDatabase): Promise<SagaRecord[]> {
  const ledger = await PgSagaLedger.open(database.target());
  try {
    const summaries = await ledger.listSagas({ limit: 1_000 });
    const sagas = await Promise.all(summaries.map((s) => ledger.getSaga(s.id)));
    return sagas.filter((s): s is SagaRecord => s !== undefined);
  } finally {
    await ledger.close();
  }
}

/** Arcadia's snapshots not deleted, per droplet. */
function snapshotsPerDroplet(b: Sandbox): Map<number, number> {
  const count = new Map<number, number>();
  for (const s of b.sim.state().snapshots) {
    if (s.deletedAt === null && s.name.startsWith('arcadia-snap-'))
      count.set(s.dropletId, (count.get(s.dropletId) ?? 0) + 1);
  }
  return count;
}

describe('two hosts over one PostgreSQL ledger', () => {
  it('overlapping batches over one tag: one saga and one snapshot per droplet, the other host skips naming it', async () => {
    const { database, a, b } = await twoHosts(10_000);
    const first = start(['snapshot', '--tag', 'web', '--concurrency', '6', '--json'], a);
    await waitFor(async () => (await sagasIn(database)).length === 6, { what: "host-a's sagas", timeoutMs: 30_000 });
    const second = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '6', '--json'], b);
    const firstDone = await first.done;

    expect(firstDone.code, firstDone.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const skipped = (JSON.parse(second.stdout) as Entry[]).filter((e) => e.status === 'skipped');
    expect(skipped).toHaveLength(6);
    for (const entry of skipped) expect(entry.error).toMatch(/already snapshotting this droplet \(pid \d+ on host-a\)/);
    const sagas = await sagasIn(database);
    expect(sagas).toHaveLength(6);
    expect(sagas.every((s) => s.status === 'succeeded')).toBe(true);
    expect([...snapshotsPerDroplet(box!).values()]).toEqual(Array(6).fill(1));
  });

  it('a host killed mid-batch: the other takes its sagas over after the stale time and finishes them once', async () => {
    const { database, a, b } = await twoHosts(1_500);
    const first = start(['snapshot', '--tag', 'web', '--concurrency', '6', '--json'], a);
    await waitFor(
      async () => {
        const sagas = await sagasIn(database);
        return sagas.length === 6 && sagas.every((s) => s.steps[0]?.status === 'running');
      },
      { what: "host-a's snapshots to be under way", timeoutMs: 30_000 },
    );
    first.child.kill('SIGKILL');
    await first.done;
    const killedAt = Date.now();

    await waitFor(() => Date.now() > killedAt + STALE_MS + 200, { what: 'the stale time', intervalMs: 50 });
    const takeover = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '6', '--json'], b);
    expect(takeover.code, takeover.stderr).toBe(0);

    const sagas = await sagasIn(database);
    expect(sagas).toHaveLength(6);
    for (const saga of sagas) {
      expect(saga.status).toBe('succeeded');
      expect(saga.leaseEpoch).toBe(2);
    }
    expect([...snapshotsPerDroplet(box!).values()]).toEqual(Array(6).fill(1));
  });
});
