import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { waitFor } from '../helpers/arcadia.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { FAST_SIMULATOR, arcadia, sandbox, start, type Sandbox } from './harness.js';

const STALE_MS = 1_500;

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** A loopback TCP relay to the database that the test can cut (every connection, and new ones) and mend. */
async function cuttableRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as { port: number }).port,
    cut: () => {
      down = true;
      for (const socket of sockets) socket.destroy();
    },
    mend: () => {
      down = false;
    },
  };
}

describe('losing the PostgreSQL ledger mid-saga', () => {
  it('stops, exits 4 naming the database but never its password; another host finishes the saga once', async () => {
    const database = await createTestDatabase();
    const direct = new URL(database.url);
    const relay = await cuttableRelay({ host: direct.hostname, port: Number(direct.port) });
    const relayed = new URL(database.url);
    relayed.port = String(relay.port);
    box = await sandbox(
      { ...FAST_SIMULATOR, actionDurationMs: { ...FAST_SIMULATOR.actionDurationMs, snapshot: 3_000 } },
      {
        ARCADIA_DATABASE_URL: relayed.toString(),
        ARCADIA_DATABASE_CONNECT_TIMEOUT_MS: '1000',
        ARCADIA_DATABASE_QUERY_TIMEOUT_MS: '1000',
        ARCADIA_HOST_ID: 'host-a',
        ARCADIA_LOCK_STALE_MS: String(STALE_MS),
        ARCADIA_HEARTBEAT_MS: '100',
      },
    );
    const sim = box.sim;
    const run = start(['snapshot', '1001'], box.env);
    await waitFor(() => sim.state().actions.some((a) => a.type === 'snapshot'), { what: 'the snapshot to be posted' });
    relay.cut();
    const stopped = await run.done;
    const requestsWhenStopped = sim.state().requests.length;

    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stderr).toContain(`127.0.0.1:${relay.port}/${database.name}`);
    expect(stopped.stdout + stopped.stderr).not.toContain(database.password);

    // The database comes back; host-a is gone. Host-b waits out the stale time, then takes the saga over.
    relay.mend();
    const stoppedAt = Date.now();
    await waitFor(() => Date.now() > stoppedAt + STALE_MS + 200, { what: 'the stale time', intervalMs: 50 });
    const other = { ...box.env, ARCADIA_DATABASE_URL: database.url, ARCADIA_HOST_ID: 'host-b' };
    const resumed = await arcadia(['saga', 'resume', '--all', '--json'], other);
    expect(resumed.code, resumed.stderr).toBe(0);

    expect(sim.state().requests.length).toBeGreaterThan(requestsWhenStopped);
    const snapshots = sim.state().snapshots.filter((s) => s.dropletId === 1001 && s.name.startsWith('arcadia-snap-'));
    expect(snapshots).toHaveLength(1);
    expect(sim.state().actions.filter((a) => a.type === 'snapshot')).toHaveLength(1);
    const ledger = await PgSagaLedger.open(database.target());
    try {
      const [summary] = await ledger.listSagas({});
      expect(summary).toMatchObject({ status: 'succeeded', leaseEpoch: 2 });
      const events = await ledger.listEvents(summary!.id);
      expect(
        events.some((e) => e.to === 'owner' && /on host-b.*took over: owner pid \d+ on host-a/.test(e.detail ?? '')),
      ).toBe(true);
    } finally {
      await ledger.close();
    }
  });
});
