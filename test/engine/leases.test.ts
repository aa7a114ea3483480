import { sql } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DatabaseLeases } from '../../src/db/database-leases.js';
import type { ArcadiaLedger } from '../../src/db/ledger.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { LeaseLostError, SagaNotFoundError, SagaOwnedError } from '../../src/engine/errors.js';
import type { SagaLease, SagaLeases } from '../../src/engine/lease.js';
import { lockFileLeases } from '../../src/engine/lock-file-leases.js';
import type { OwnerProcessState, ProcessIdentity } from '../../src/engine/process-identity.js';
import { waitFor } from '../helpers/arcadia.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ledgerBackends, type LedgerBackend } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

/**
 * The promises of `SagaLeases` (src/engine/lease.ts), proved once for each implementation through the interface:
 * lock files beside a SQLite ledger, and rows in the PostgreSQL ledger. What only one mechanism has (a damaged lock
 * file, the row's columns) is in test/engine/lock.test.ts and test/db/database-leases.test.ts.
 */

const STALE_MS = 60_000;
/** So long that no batch hold renews itself within a test, unless the test asks for a short heartbeat. */
const QUIET_HEARTBEAT_MS = 3_600_000;
const STARTED_AT = 1_000;

/** One executor process: its pid on its host id, and how often its batch holds renew themselves. */
interface Executor {
  pid: number;
  host: string;
  heartbeatMs?: number;
}

/** One implementation's world: processes sharing one ledger, a process table the test decides, and time. */
interface LeaseWorld {
  /** The ledger the sagas live in, which every process shares. */
  ledger: ArcadiaLedger;
  createSaga(): Promise<string>;
  /** The leases as the executor's own process builds them, on a connection to the ledger of its own. */
  leasesOf(executor: Executor): Promise<SagaLeases>;
  /** Pids the injected process table calls gone; `stopped` ones it calls stopped (SIGSTOP); the rest are alive. */
  gone: Set<number>;
  stopped: Set<number>;
  /** Lets `ms` pass for every recorded heartbeat, as if nobody had beaten meanwhile. */
  elapse(ms: number): Promise<void>;
  /**
   * How far the implementation's clock may move by itself within a test: 0 for an injected clock; a bound for the
   * database's real one. Boundaries are probed this far inside them.
   */
  clockSlackMs: number;
}

interface LeaseBackend {
  name: string;
  open(): Promise<LeaseWorld>;
}

function processTable(): {
  gone: Set<number>;
  stopped: Set<number>;
  processState: (pid: number) => OwnerProcessState;
} {
  const gone = new Set<number>();
  const stopped = new Set<number>();
  return {
    gone,
    stopped,
    processState: (pid) => (gone.has(pid) ? 'gone' : stopped.has(pid) ? 'stopped' : 'alive'),
  };
}

const identityOf = ({ pid, host }: Executor): ProcessIdentity => ({ pid, host, startedAt: STARTED_AT });

function lockFileBackend(ledgers: LedgerBackend): LeaseBackend {
  return {
    name: 'lock files beside a SQLite ledger',
    open: async () => {
      const opened = await ledgers.open();
      const clock = new FakeClock();
      // Lock files only need a folder of their own; where the ledger file lies does not matter to them.
      const locksDir = tempHome().path('locks');
      const table = processTable();
      return {
        ledger: opened.ledger,
        createSaga: async () => (await opened.ledger.createSaga(newSaga({ stepNames: ['noop'] }), clock.now())).id,
        leasesOf: async (executor) =>
          lockFileLeases(await opened.reopen(), {
            locksDir,
            staleMs: STALE_MS,
            heartbeatMs: executor.heartbeatMs ?? QUIET_HEARTBEAT_MS,
            clock,
            identity: identityOf(executor),
            processState: table.processState,
          }),
        gone: table.gone,
        stopped: table.stopped,
        elapse: (ms) => {
          clock.advance(ms);
          return Promise.resolve();
        },
        clockSlackMs: 0,
      };
    },
  };
}

function postgresLedger(ledger: ArcadiaLedger): PgSagaLedger {
  if (!(ledger instanceof PgSagaLedger)) throw new Error('the postgres backend opened another kind of ledger');
  return ledger;
}

function databaseBackend(ledgers: LedgerBackend): LeaseBackend {
  return {
    name: 'rows in a PostgreSQL ledger',
    open: async () => {
      const opened = await ledgers.open();
      const ledger = postgresLedger(opened.ledger);
      const table = processTable();
      return {
        ledger,
        createSaga: async () => (await ledger.createSaga(newSaga({ stepNames: ['noop'] }), Date.now())).id,
        leasesOf: async (executor) =>
          new DatabaseLeases(postgresLedger(await opened.reopen()), {
            staleMs: STALE_MS,
            heartbeatMs: executor.heartbeatMs ?? QUIET_HEARTBEAT_MS,
            identity: identityOf(executor),
            processState: table.processState,
          }),
        gone: table.gone,
        stopped: table.stopped,
        // The database's clock cannot be moved: every stamp it judges by is moved back instead.
        elapse: async (ms) => {
          await ledger.db.execute(
            sql`UPDATE saga_runs SET owner_heartbeat_at = owner_heartbeat_at - ${ms},
              owner_acquired_at = owner_acquired_at - ${ms}`,
          );
          await ledger.db.execute(
            sql`UPDATE batch_holds SET heartbeat_at = heartbeat_at - ${ms}, acquired_at = acquired_at - ${ms}`,
          );
        },
        clockSlackMs: 5_000,
      };
    },
  };
}

const ledgers = ledgerBackends();
function ledgerBackend(name: LedgerBackend['name']): LedgerBackend {
  const backend = ledgers.find((b) => b.name === name);
  if (!backend) throw new Error(`no ${name} ledger backend`);
  return backend;
}

async function refusal(work: Promise<unknown>): Promise<SagaOwnedError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SagaOwnedError);
  return error as SagaOwnedError;
}

/** The reason for taking over a stale owner, whose heartbeat is `agedMs` old by an exact clock (more by a real one). */
function expectStaleReason(
  reason: string | null,
  world: LeaseWorld,
  stale: { owner: Executor; agedMs: number; stopped?: boolean },
): void {
  const suffix = stale.stopped ? ' \\(the process is stopped\\)' : '';
  const pattern = new RegExp(
    `^owner pid ${stale.owner.pid} on ${stale.owner.host} has not beaten for (\\d+) ms${suffix}$`,
  );
  const age = Number(pattern.exec(reason ?? '')?.[1] ?? Number.NaN);
  expect(reason).toMatch(pattern);
  expect(age).toBeGreaterThanOrEqual(stale.agedMs);
  expect(age).toBeLessThanOrEqual(stale.agedMs + world.clockSlackMs);
}

const A: Executor = { pid: 101, host: 'host-a' };
const B: Executor = { pid: 202, host: 'host-b' };
/** Another process on A's host. */
const A2: Executor = { pid: 102, host: 'host-a' };
const contenders: Executor[] = [1, 2, 3, 4, 5].map((i) => ({ pid: 300 + i, host: `host-c${i}` }));

describe.each([lockFileBackend(ledgerBackend('sqlite')), databaseBackend(ledgerBackend('postgres'))])(
  'SagaLeases: $name',
  (backend) => {
    async function setup() {
      const world = await backend.open();
      const id = await world.createSaga();
      const [a, b] = await Promise.all([world.leasesOf(A), world.leasesOf(B)]);
      return { world, id, a, b };
    }

    it('takes a free saga at the next epoch, without a takeover, and every process sees its owner', async () => {
      const { world, id, a, b } = await setup();
      expect(await b.liveOwner(id)).toBeUndefined();

      const lease = await a.acquire(id);

      expect(lease).toMatchObject({ sagaId: id, epoch: 1, takeoverReason: null });
      expect(lease.owner).toMatchObject({ pid: A.pid, host: A.host, processStartedAt: STARTED_AT });
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 1, owner: { pid: A.pid, host: A.host } });
      expect(await b.liveOwner(id)).toMatchObject({ pid: A.pid, host: A.host });
      expect(await a.liveOwner(id)).toMatchObject({ pid: A.pid, host: A.host });
    });

    it('refuses a saga the ledger does not hold, and claims nothing for it', async () => {
      const { a, b } = await setup();

      await expect(a.acquire('no-such-saga')).rejects.toBeInstanceOf(SagaNotFoundError);

      expect(await b.liveOwner('no-such-saga')).toBeUndefined();
      await expect(b.acquire('no-such-saga')).rejects.toBeInstanceOf(SagaNotFoundError);
    });

    it('refuses a fresh owner elsewhere up to the stale time, naming it, and changes nothing', async () => {
      const { world, id, a, b } = await setup();
      const lease = await a.acquire(id);
      await world.elapse(STALE_MS - world.clockSlackMs); // at the limit: not yet stale

      const refused = await refusal(b.acquire(id));

      expect(refused.owner).toMatchObject({ pid: A.pid, host: A.host });
      expect(refused.message).toContain('pid 101 on host-a');
      expect(await world.ledger.currentEpoch(id)).toBe(1);
      expect(await b.liveOwner(id)).toMatchObject({ pid: A.pid, host: A.host });
      expect(await lease.beat()).toBe(true);
    });

    it("does not judge another host's owner by this host's process table", async () => {
      const { world, id, b } = await setup();
      await b.acquire(id);
      world.gone.add(B.pid); // a pid 202 on *this* host is gone; that says nothing about host-b

      const refused = await refusal((await world.leasesOf({ pid: 303, host: A.host })).acquire(id));

      expect(refused.message).toContain('pid 202 on host-b');
      expect(await world.ledger.currentEpoch(id)).toBe(1);
    });

    it('lets another host take over once the heartbeat is stale; the old lease is fenced', async () => {
      const { world, id, a, b } = await setup();
      const old = await a.acquire(id);
      await world.elapse(STALE_MS + 1);
      expect(await b.liveOwner(id)).toBeUndefined();
      // On its own host a running owner is alive whatever its heartbeat says.
      expect(await a.liveOwner(id)).toMatchObject({ pid: A.pid });

      const taken = await b.acquire(id);

      expect(taken.epoch).toBe(2);
      expectStaleReason(taken.takeoverReason, world, { owner: A, agedMs: STALE_MS + 1 });
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 2, owner: { pid: B.pid, host: B.host } });
      expect(await a.liveOwner(id)).toMatchObject({ pid: B.pid, host: B.host });
      // The old owner learns it at its next beat, and none of its writes lands.
      expect(await old.beat()).toBe(false);
      await expect(world.ledger.apply(id, old.epoch, { event: { from: null, to: 'owner' } }, 2_000)).rejects.toThrow(
        LeaseLostError,
      );
    });

    it('on the same host, takes over a gone owner at once, at the next epoch', async () => {
      const { world, id, a } = await setup();
      const old = await a.acquire(id);
      world.gone.add(A.pid);
      expect(await a.liveOwner(id)).toBeUndefined();

      const taken = await (await world.leasesOf(A2)).acquire(id);

      expect(taken).toMatchObject({ epoch: 2, takeoverReason: 'owner pid 101 is gone' });
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 2, owner: { pid: A2.pid } });
      expect(await old.beat()).toBe(false);
    });

    it('on the same host, never takes over a running owner, however old its heartbeat', async () => {
      const { world, id, a } = await setup();
      await a.acquire(id);
      await world.elapse(STALE_MS * 100);
      const neighbour = await world.leasesOf(A2);

      const refused = await refusal(neighbour.acquire(id));

      expect(refused.message).toContain('owned by pid 101 on host-a');
      expect(await neighbour.liveOwner(id)).toMatchObject({ pid: A.pid });
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 1, owner: { pid: A.pid } });
    });

    it('on the same host, takes over a stopped owner once its heartbeat is stale, not before', async () => {
      const { world, id, a } = await setup();
      await a.acquire(id);
      world.stopped.add(A.pid);
      const neighbour = await world.leasesOf(A2);
      await world.elapse(STALE_MS - world.clockSlackMs);
      await refusal(neighbour.acquire(id));
      expect(await neighbour.liveOwner(id)).toMatchObject({ pid: A.pid });

      await world.elapse(world.clockSlackMs + 1);
      expect(await neighbour.liveOwner(id)).toBeUndefined();
      const taken = await neighbour.acquire(id);

      expect(taken.epoch).toBe(2);
      expectStaleReason(taken.takeoverReason, world, { owner: A, agedMs: STALE_MS + 1, stopped: true });
    });

    it('keeps the saga while its owner beats: every beat makes the heartbeat fresh again', async () => {
      const { world, id, a, b } = await setup();
      const lease = await a.acquire(id);
      // Twice this is past the stale time; once is not.
      const almostStale = STALE_MS - world.clockSlackMs - 1;
      await world.elapse(almostStale);
      expect(await lease.beat()).toBe(true);
      await world.elapse(almostStale);

      await refusal(b.acquire(id));
      expect(await b.liveOwner(id)).toMatchObject({ pid: A.pid });
      expect(await lease.beat()).toBe(true);
      expect(await world.ledger.currentEpoch(id)).toBe(1);
    });

    /** Every contender asks at once; exactly one gets the lease, and every other is refused naming that one. */
    async function contend(world: LeaseWorld, id: string): Promise<{ winner: SagaLease; refused: SagaOwnedError[] }> {
      const all = await Promise.all(contenders.map((c) => world.leasesOf(c)));
      const outcomes = await Promise.allSettled(all.map((leases) => leases.acquire(id)));
      const won = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(won).toHaveLength(1);
      const winner = won[0]!;
      for (const error of refused) {
        expect(error).toBeInstanceOf(SagaOwnedError);
        expect((error as SagaOwnedError).owner).toMatchObject({ pid: winner.owner.pid, host: winner.owner.host });
      }
      expect(await winner.beat()).toBe(true);
      return { winner, refused: refused as SagaOwnedError[] };
    }

    it('lets exactly one of several processes that find the saga free win', async () => {
      const { world, id } = await setup();

      const { winner, refused } = await contend(world, id);

      expect(winner).toMatchObject({ epoch: 1, takeoverReason: null });
      expect(refused).toHaveLength(contenders.length - 1);
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 1, owner: { pid: winner.owner.pid } });
    });

    it('lets exactly one of several processes that see the same stale owner win', async () => {
      const { world, id, a } = await setup();
      const old = await a.acquire(id);
      await world.elapse(STALE_MS + 1);

      const { winner } = await contend(world, id);

      expect(winner.epoch).toBe(2);
      expectStaleReason(winner.takeoverReason, world, { owner: A, agedMs: STALE_MS + 1 });
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 2, owner: { pid: winner.owner.pid } });
      expect(await old.beat()).toBe(false);
    });

    it("never lets a taken-over lease refresh or release its successor's", async () => {
      const { world, id, a } = await setup();
      const old = await a.acquire(id);
      world.gone.add(A.pid);
      const successor = await (await world.leasesOf(A2)).acquire(id);
      await world.elapse(1_000);

      expect(await old.beat()).toBe(false);
      await old.release();

      expect(await a.liveOwner(id)).toMatchObject({ pid: A2.pid, host: A2.host });
      expect(await successor.beat()).toBe(true);
      await refusal((await world.leasesOf({ pid: 303, host: A.host })).acquire(id));
      expect(await world.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 2, owner: { pid: A2.pid } });
    });

    it('frees the saga on release: the next process takes it at the next epoch, without a takeover', async () => {
      const { world, id, a, b } = await setup();
      const lease = await a.acquire(id);

      await lease.release();
      await lease.release(); // idempotent

      expect(await b.liveOwner(id)).toBeUndefined();
      // A released lease's beat claims nothing back.
      expect(await lease.beat()).toBe(false);
      expect(await b.liveOwner(id)).toBeUndefined();
      expect(await b.acquire(id)).toMatchObject({ epoch: 2, takeoverReason: null });
      expect(await world.ledger.currentEpoch(id)).toBe(2);
    });

    it("holds a batch for every process to see until released; a stale hold elsewhere is nobody's", async () => {
      const { world, a, b } = await setup();
      const hold = await a.holdBatch('batch-1');
      expect(await b.batchHolder('batch-1')).toMatchObject({ pid: A.pid, host: A.host });
      expect(await b.batchHolder('batch-2')).toBeUndefined();
      await world.elapse(STALE_MS - world.clockSlackMs);
      expect(await b.batchHolder('batch-1')).toMatchObject({ pid: A.pid });

      await world.elapse(world.clockSlackMs + 1);
      expect(await b.batchHolder('batch-1')).toBeUndefined();
      // On its own host a running holder still holds it, whatever its heartbeat says.
      expect(await a.batchHolder('batch-1')).toMatchObject({ pid: A.pid });

      await hold.release();
      expect(await a.batchHolder('batch-1')).toBeUndefined();
    });

    it("makes a batch hold whose process is gone nobody's on its host at once", async () => {
      const { world, a } = await setup();
      await (await world.leasesOf(A2)).holdBatch('batch-1');
      expect(await a.batchHolder('batch-1')).toMatchObject({ pid: A2.pid });

      world.gone.add(A2.pid);

      expect(await a.batchHolder('batch-1')).toBeUndefined();
    });

    it('renews a batch hold every heartbeat', async () => {
      const { world, b } = await setup();
      const hold = await (await world.leasesOf({ ...A, heartbeatMs: 20 })).holdBatch('batch-1');
      onTestFinished(() => hold.release());
      await world.elapse(STALE_MS * 2);

      await waitFor(() => b.batchHolder('batch-1'), { what: 'the hold to be renewed', timeoutMs: 2_000 });
    });
  },
);
