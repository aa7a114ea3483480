import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseLeases } from '../../src/db/database-leases.js';
import { LedgerUnavailableError } from '../../src/db/errors.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import {
  InterruptedError,
  LeaseLostError,
  SagaAlreadyFinishedError,
  SagaCancelledError,
  SagaInterruptedError,
  SagaStepNotKnownError,
  StepFailedError,
} from '../../src/engine/errors.js';
import type { SagaLeases } from '../../src/engine/lease.js';
import type { SagaLedger, SagaTransition } from '../../src/engine/ledger.js';
import { lockFileLeases } from '../../src/engine/lock-file-leases.js';
import { currentProcessIdentity } from '../../src/engine/process-identity.js';
import { backoffMs } from '../../src/backoff.js';
import { SagaRunner, type SagaRunnerOptions } from '../../src/engine/runner.js';
import { StepRegistry, type StepContext, type StepDefinition } from '../../src/engine/step.js';
import type { SagaContext, SagaEvent, SagaOwner, SagaRecord } from '../../src/engine/types.js';
import { waitFor } from '../helpers/arcadia.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { newSaga } from '../helpers/ledger.js';
import { ledgerBackends, type AnyLedger, type BackendLedger, type LedgerBackend } from '../helpers/ledger-backends.js';
import { tempHome } from '../helpers/temp-home.js';

/** Stands for the process dying: thrown by a ledger wrapper instead of (and after) a chosen write. */
class CrashError extends Error {}

type StepHooks = {
  execute?: (ctx: StepContext, run: number) => Promise<SagaContext> | SagaContext;
  compensate?: (ctx: StepContext, run: number) => Promise<void> | void;
  retry?: StepDefinition['retry'];
};

interface Harness {
  ledger: AnyLedger;
  /** A second connection: what it sees was committed, not just visible inside the runner's connection. */
  observer: AnyLedger;
  /** Writes behind the ledger's back, for states only a crash or another process leaves. */
  behind: Pick<BackendLedger, 'setSaga' | 'setStepStatus' | 'mergeContext'>;
  clock: FakeClock;
  log: string[];
  counts: Map<string, number>;
  step(name: string, hooks?: StepHooks): StepDefinition;
  create(stepNames: string[], inputs?: SagaContext): Promise<string>;
  runner(ledger?: SagaLedger, overrides?: Partial<SagaRunnerOptions>): SagaRunner;
  saga(id: string): Promise<SagaRecord>;
  events(id: string): Promise<SagaEvent[]>;
  /** The leases every runner of the harness takes its lease from. */
  leases: SagaLeases;
  /** Who holds the saga's lease, by the leases' own rule; undefined once its executor has let go. */
  liveOwner(id: string): Promise<SagaOwner | undefined>;
}

const STALE_MS = 30_000;
const HEARTBEAT_MS = 5;

/**
 * The leases the app pairs with the backend (src/cli/app.ts): lock files beside a SQLite ledger, rows of the
 * PostgreSQL one. Both are built over the ledger itself, not a test's wrapper of it, so a simulated crash (a wrapper
 * gone dead) still lets go of the lease as the runner's `finally` does. Every holder here is this live process on
 * this host, so no lease is ever taken over for staleness: the fake clock (lock files) and the database's clock
 * (rows) cannot disagree on anything a test asserts.
 */
function leasesFor(ledger: AnyLedger, clock: FakeClock): SagaLeases {
  const identity = { ...currentProcessIdentity(), host: hostname() };
  const timing = { staleMs: STALE_MS, heartbeatMs: HEARTBEAT_MS, identity };
  if (ledger instanceof PgSagaLedger) return new DatabaseLeases(ledger, timing);
  return lockFileLeases(ledger, { ...timing, locksDir: join(tempHome().home, 'locks'), clock });
}

async function openHarness(backend: LedgerBackend, options: { clock?: FakeClock }): Promise<Harness> {
  const opened = await backend.open();
  const { ledger } = opened;
  const observer = await opened.reopen();
  const clock = options.clock ?? new FakeClock();
  const leases = leasesFor(ledger, clock);
  const registry = new StepRegistry();
  const log: string[] = [];
  const counts = new Map<string, number>();
  const bump = (key: string): number => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };
  return {
    ledger,
    observer,
    behind: opened,
    clock,
    log,
    counts,
    step(name, hooks = {}) {
      const definition: StepDefinition = {
        name,
        description: `test step ${name}`,
        execute: async (ctx) => {
          const run = bump(`execute:${name}`);
          log.push(`execute:${name}`);
          return hooks.execute ? await hooks.execute(ctx, run) : { [`${name}_done`]: run };
        },
        compensate: async (ctx) => {
          const run = bump(`compensate:${name}`);
          log.push(`compensate:${name}`);
          if (hooks.compensate) await hooks.compensate(ctx, run);
        },
        ...(hooks.retry ? { retry: hooks.retry } : {}),
      };
      registry.register(definition);
      return definition;
    },
    async create(stepNames, inputs = {}) {
      return (await ledger.createSaga(newSaga({ stepNames, inputs }), clock.now())).id;
    },
    runner(runnerLedger = ledger, overrides = {}) {
      return new SagaRunner({
        ledger: runnerLedger,
        registry,
        clock,
        leases,
        heartbeatMs: HEARTBEAT_MS,
        staleMs: STALE_MS,
        retry: { attempts: 3, baseMs: 100, maxMs: 1_000 },
        maxRecoveryAttempts: 2,
        random: () => 0.5,
        ...overrides,
      });
    },
    async saga(id) {
      const saga = await observer.getSaga(id);
      if (!saga) throw new Error(`no saga ${id}`);
      return saga;
    },
    events: (id) => observer.listEvents(id),
    leases,
    liveOwner: (id) => leases.liveOwner(id),
  };
}

/** The leases, calling `onBeat` once each heartbeat of a lease they gave out has been answered. */
function watchingBeats(leases: SagaLeases, onBeat: () => void): SagaLeases {
  return {
    acquire: async (sagaId) => {
      const lease = await leases.acquire(sagaId);
      return {
        ...lease,
        beat: async () => {
          const held = await lease.beat();
          onBeat();
          return held;
        },
      };
    },
    liveOwner: (sagaId) => leases.liveOwner(sagaId),
    holdBatch: (batchId) => leases.holdBatch(batchId),
    batchHolder: (batchId) => leases.batchHolder(batchId),
  };
}

function transient(message: string): Error {
  return Object.assign(new Error(message), { transient: true });
}

/**
 * The ledger, except that the first write matching `when` throws CrashError instead of happening, and every call
 * after it throws too: from the ledger's point of view the process died right there.
 */
function crashingLedger(inner: SagaLedger, when: (transitions: SagaTransition[]) => boolean): SagaLedger {
  let dead = false;
  return new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (dead) return Promise.reject(new CrashError('the process is dead'));
        if (prop === 'apply') {
          const transitions = args[2] as SagaTransition | SagaTransition[];
          if (when(Array.isArray(transitions) ? transitions : [transitions])) {
            dead = true;
            return Promise.reject(new CrashError('crashed before this write'));
          }
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SagaLedger;
}

/** The ledger, recording every `apply` call (one call is one transaction). */
function recordingLedger(inner: SagaLedger, calls: SagaTransition[][]): SagaLedger {
  return new Proxy(inner, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'apply') {
          const transitions = args[2] as SagaTransition | SagaTransition[];
          calls.push(Array.isArray(transitions) ? transitions : [transitions]);
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as SagaLedger;
}

const recordsSucceeded = (idx: number) => (ts: SagaTransition[]) =>
  ts.some((t) => t.step?.idx === idx && t.step.status === 'succeeded');
const recordsCompensated = (idx: number) => (ts: SagaTransition[]) =>
  ts.some((t) => t.step?.idx === idx && t.step.compensatedAt !== undefined);

const statuses = (saga: SagaRecord) => saga.steps.map((s) => s.status);
const transitionsOf = (events: SagaEvent[], idx: number, from: string, to: string) =>
  events.filter((e) => e.stepIdx === idx && e.from === from && e.to === to);

describe('backoff', () => {
  it('spreads backoff between half the ceiling and the ceiling (equal jitter), doubling up to maxMs', async () => {
    const policy = { attempts: 10, baseMs: 1_000, maxMs: 30_000 };
    expect(backoffMs(policy, 0, () => 0)).toBe(500);
    expect(backoffMs(policy, 0, () => 0.999999)).toBe(1_000);
    expect(backoffMs(policy, 3, () => 0)).toBe(4_000);
    expect(backoffMs(policy, 10, () => 0.999999)).toBe(30_000);
    expect(backoffMs(policy, 10, () => 0)).toBe(15_000);
  });
});

describe.each(ledgerBackends())('the runner on $name', (backend) => {
  const harness = (options: { clock?: FakeClock } = {}) => openHarness(backend, options);

  describe('rule 1: the ledger is the only source of truth', () => {
    it('starts from what the ledger says, not from anything the runner was given or kept', async () => {
      const h = await harness();
      h.step('a');
      let seen: SagaContext | undefined;
      h.step('b', {
        execute: (ctx) => {
          seen = { ...ctx.context };
          return {};
        },
      });
      const runner = h.runner();
      const id = await h.create(['a', 'b'], { region: 'ams3' });
      // Another process already ran step a (state written behind the runner's back, after the runner was built).
      await h.behind.setSaga(id, { status: 'running' });
      await h.behind.mergeContext(id, { from_ledger: 42 });
      await h.behind.setStepStatus(id, 0, 'succeeded');

      const done = await runner.run(id);

      expect(h.counts.get('execute:a')).toBeUndefined();
      expect(h.counts.get('execute:b')).toBe(1);
      expect(seen).toMatchObject({ from_ledger: 42, __inputs__: { region: 'ams3' } });
      expect(done.status).toBe('succeeded');
      expect(done.recoveryAttempts).toBe(1);
    });

    it('does nothing with a saga that is already terminal', async () => {
      const h = await harness();
      h.step('a');
      const id = await h.create(['a']);
      await h.behind.setSaga(id, { status: 'succeeded' });
      const done = await h.runner().run(id);
      expect(h.log).toEqual([]);
      expect(done.status).toBe('succeeded');
      expect(statuses(done)).toEqual(['pending']);
    });
  });

  describe('rule 2: intent before execution, result with its context in one transaction', () => {
    it('records the step running (committed) before execute is called', async () => {
      const h = await harness();
      const observed: unknown[] = [];
      const observe = async (ctx: StepContext): Promise<SagaContext> => {
        const saga = await h.saga(ctx.sagaId);
        const step = saga.steps[ctx.stepIdx]!;
        const last = (await h.events(ctx.sagaId)).at(-1)!;
        const owner = await h.liveOwner(ctx.sagaId);
        observed.push({
          owner: owner?.pid,
          saga: saga.status,
          step: step.status,
          attempts: step.attempts,
          startedAtMatches: step.startedAt === ctx.startedAt,
          last: [last.stepIdx, last.from, last.to, last.epoch],
          earlier: saga.steps.slice(0, ctx.stepIdx).map((s) => s.status),
          context: saga.context,
        });
        return { [`out_${ctx.stepIdx}`]: ctx.stepIdx * 10 };
      };
      h.step('a', { execute: observe });
      h.step('b', { execute: observe });
      const id = await h.create(['a', 'b']);

      const done = await h.runner().run(id);

      expect(observed).toEqual([
        {
          owner: process.pid,
          saga: 'running',
          step: 'running',
          attempts: 1,
          startedAtMatches: true,
          last: [0, 'pending', 'running', 1],
          earlier: [],
          context: { __inputs__: {} },
        },
        {
          owner: process.pid,
          saga: 'running',
          step: 'running',
          attempts: 1,
          startedAtMatches: true,
          last: [1, 'pending', 'running', 1],
          earlier: ['succeeded'],
          context: { __inputs__: {}, out_0: 0 },
        },
      ]);
      expect(done.context).toEqual({ __inputs__: {}, out_0: 0, out_1: 10 });
      expect(statuses(done)).toEqual(['succeeded', 'succeeded']);
    });

    it('writes succeeded, the context merge and the event row in the same transaction', async () => {
      const h = await harness();
      h.step('a', { execute: () => ({ droplet_id: 7, nested: { ok: true } }) });
      h.step('b');
      const id = await h.create(['a', 'b']);
      const calls: SagaTransition[][] = [];

      await h.runner(recordingLedger(h.ledger, calls)).run(id);

      const resultCall = calls.find((ts) => ts.some((t) => t.step?.idx === 0 && t.step.status === 'succeeded'));
      expect(resultCall).toBeDefined();
      const result = resultCall!.find((t) => t.step?.idx === 0 && t.step.status === 'succeeded')!;
      expect(result.saga?.contextPatch).toEqual({ droplet_id: 7, nested: { ok: true } });
      expect(result.event).toMatchObject({ from: 'running', to: 'succeeded' });
      const events = await h.events(id);
      expect(transitionsOf(events, 0, 'running', 'succeeded')).toHaveLength(1);
      expect((await h.saga(id)).context).toMatchObject({ droplet_id: 7, nested: { ok: true } });
    });

    it('leaves nothing half-written when the process dies at the result write', async () => {
      const h = await harness();
      h.step('a', { execute: () => ({ droplet_id: 7 }) });
      h.step('b');
      const id = await h.create(['a', 'b']);

      await expect(h.runner(crashingLedger(h.ledger, recordsSucceeded(0))).run(id)).rejects.toThrow(CrashError);

      const saga = await h.saga(id);
      expect(saga.status).toBe('running');
      expect(statuses(saga)).toEqual(['running', 'pending']);
      expect(saga.context).toEqual({ __inputs__: {} });
      expect(transitionsOf(await h.events(id), 0, 'running', 'succeeded')).toHaveLength(0);
    });
  });

  describe('rules 3 and 4: checkpoints and re-execution of a step found running', () => {
    it(
      'makes a checkpoint durable before checkpoint() returns, and hands it to the ' + 're-execution after a crash',
      async () => {
        const h = await harness();
        const posts: string[] = [];
        const seenOnEntry: unknown[] = [];
        const durableAfterCheckpoint: unknown[] = [];
        h.step('create', {
          execute: async (ctx) => {
            seenOnEntry.push(ctx.context.action_id ?? null);
            let actionId = ctx.context.action_id;
            if (actionId === undefined) {
              actionId = `action-${posts.length + 1}`;
              posts.push(actionId);
              await ctx.checkpoint({ action_id: actionId });
              durableAfterCheckpoint.push((await h.saga(ctx.sagaId)).context.action_id);
              durableAfterCheckpoint.push((await h.events(ctx.sagaId)).at(-1)?.to);
              durableAfterCheckpoint.push(ctx.context.action_id);
            }
            return { snapshot_id: `snap-of-${String(actionId)}` };
          },
        });
        const id = await h.create(['create']);

        await expect(h.runner(crashingLedger(h.ledger, recordsSucceeded(0))).run(id)).rejects.toThrow(CrashError);
        expect(durableAfterCheckpoint).toEqual(['action-1', 'checkpoint', 'action-1']);

        const done = await h.runner().run(id);

        expect(seenOnEntry).toEqual([null, 'action-1']);
        expect(posts).toEqual(['action-1']);
        expect(done.status).toBe('succeeded');
        expect(done.context).toMatchObject({ action_id: 'action-1', snapshot_id: 'snap-of-action-1' });
      },
    );

    it('executes a step found running again, keeping its first start time, and records it succeeded once', async () => {
      const h = await harness();
      h.step('a');
      const starts: number[] = [];
      h.step('b', {
        execute: async (ctx) => {
          starts.push(ctx.startedAt);
          await ctx.sleep(1_000);
          return { b: true };
        },
      });
      h.step('c');
      const id = await h.create(['a', 'b', 'c']);

      await expect(h.runner(crashingLedger(h.ledger, recordsSucceeded(1))).run(id)).rejects.toThrow(CrashError);
      expect(statuses(await h.saga(id))).toEqual(['succeeded', 'running', 'pending']);
      expect(await h.liveOwner(id)).toBeUndefined();

      const done = await h.runner().run(id);

      expect(h.log.filter((l) => l.startsWith('execute'))).toEqual([
        'execute:a',
        'execute:b',
        'execute:b',
        'execute:c',
      ]);
      expect(done.status).toBe('succeeded');
      expect(done.steps.map((s) => s.attempts)).toEqual([1, 2, 1]);
      expect(starts).toHaveLength(2);
      expect(starts[1]).toBe(starts[0]);
      expect(done.steps[1]!.startedAt).toBe(starts[0]);
      expect(done.recoveryAttempts).toBe(1);
      expect(done.leaseEpoch).toBe(2);
      const events = await h.events(id);
      expect(transitionsOf(events, 1, 'running', 'running').map((e) => e.detail)).toContain(
        'executing again after an interruption',
      );
      for (const idx of [0, 1, 2]) expect(transitionsOf(events, idx, 'running', 'succeeded')).toHaveLength(1);
      expect(events.filter((e) => e.to === 'owner').map((e) => e.epoch)).toEqual([1, 2]);
    });
  });

  describe('rule 5: compensation', () => {
    it(
      'compensates in reverse order, the failed step included; the failed step stays failed, unstarted ones ' +
        'pending',
      async () => {
        const h = await harness();
        h.step('a');
        h.step('b');
        h.step('c', {
          execute: () => {
            throw new StepFailedError('droplet is locked');
          },
        });
        h.step('d');
        const id = await h.create(['a', 'b', 'c', 'd']);

        const done = await h.runner().run(id);

        expect(h.log).toEqual(['execute:a', 'execute:b', 'execute:c', 'compensate:c', 'compensate:b', 'compensate:a']);
        expect(done.status).toBe('rolled_back');
        expect(done.error).toBe('c: droplet is locked');
        expect(statuses(done)).toEqual(['compensated', 'compensated', 'failed', 'pending']);
        expect(done.steps[2]).toMatchObject({ error: 'droplet is locked', attempts: 1 });
        expect(done.steps[2]!.compensatedAt).not.toBeNull();
        expect(done.steps[3]).toMatchObject({ attempts: 0, startedAt: null, compensatedAt: null });
        expect(done.owner).toBeNull();
        expect(await h.liveOwner(id)).toBeUndefined();
        const events = await h.events(id);
        expect(
          events.filter((e) => e.stepIdx === 2).map((e) => `${e.from}->${e.to}${e.detail ? ` (${e.detail})` : ''}`),
        ).toEqual([
          'pending->running',
          'running->failed (droplet is locked)',
          'failed->compensating',
          'compensating->failed (compensated)',
        ]);
        expect(events.filter((e) => e.stepIdx === 3)).toEqual([]);
        expect(events.at(-1)).toMatchObject({ stepIdx: null, from: 'compensating', to: 'rolled_back' });
      },
    );

    it(
      'runs the compensation again when resuming a compensating saga ("already ' + 'gone" is the step\'s success)',
      async () => {
        const h = await harness();
        const remote = new Set<string>();
        h.step('a', {
          execute: () => {
            remote.add('snap-a');
            return { snap: 'snap-a' };
          },
          // Idempotent: deletes what is there; finding nothing (a 404) is success.
          compensate: () => {
            remote.delete('snap-a');
          },
        });
        h.step('b', {
          execute: () => {
            throw new StepFailedError('no');
          },
        });
        const id = await h.create(['a', 'b']);

        await expect(h.runner(crashingLedger(h.ledger, recordsCompensated(0))).run(id)).rejects.toThrow(CrashError);
        const crashed = await h.saga(id);
        expect(crashed.status).toBe('compensating');
        expect(statuses(crashed)).toEqual(['compensating', 'failed']);
        expect(remote.size).toBe(0);

        const done = await h.runner().run(id);

        expect(h.counts.get('compensate:a')).toBe(2);
        expect(h.counts.get('compensate:b')).toBe(1);
        expect(done.status).toBe('rolled_back');
        expect(statuses(done)).toEqual(['compensated', 'failed']);
        expect(done.recoveryAttempts).toBe(1);
      },
    );

    it('compensates a failed step again when the crash came before its compensation was recorded', async () => {
      const h = await harness();
      h.step('a');
      h.step('b', {
        execute: () => {
          throw new StepFailedError('no');
        },
      });
      const id = await h.create(['a', 'b']);

      await expect(h.runner(crashingLedger(h.ledger, recordsCompensated(1))).run(id)).rejects.toThrow(CrashError);
      const done = await h.runner().run(id);

      expect(h.log).toEqual(['execute:a', 'execute:b', 'compensate:b', 'compensate:b', 'compensate:a']);
      expect(statuses(done)).toEqual(['compensated', 'failed']);
      expect(done.steps[1]!.compensatedAt).not.toBeNull();
      expect(done.status).toBe('rolled_back');
    });

    it(
      'marks a compensation that fails permanently compensation_failed, goes on with the others, and ends ' +
        'compensation_failed',
      async () => {
        const h = await harness();
        h.step('a');
        h.step('b', {
          compensate: () => {
            throw new StepFailedError('403 forbidden');
          },
        });
        h.step('c', {
          execute: () => {
            throw new StepFailedError('no');
          },
        });
        const id = await h.create(['a', 'b', 'c']);

        const done = await h.runner().run(id);

        expect(h.counts.get('compensate:b')).toBe(1);
        expect(h.counts.get('compensate:a')).toBe(1);
        expect(done.status).toBe('compensation_failed');
        expect(statuses(done)).toEqual(['compensated', 'compensation_failed', 'failed']);
        expect(done.steps[1]!.error).toBe('403 forbidden');
        expect((await h.events(id)).at(-1)).toMatchObject({
          to: 'compensation_failed',
          detail: '1 step(s) could not be undone',
        });
      },
    );

    it(
      'does not turn an earlier compensation_failed into rolled_back when a compensating ' + 'saga is resumed',
      async () => {
        const h = await harness();
        h.step('a');
        h.step('b', {
          compensate: () => {
            throw new StepFailedError('403 forbidden');
          },
        });
        h.step('c', {
          execute: () => {
            throw new StepFailedError('no');
          },
        });
        const id = await h.create(['a', 'b', 'c']);

        // b's compensation fails for good, then the process dies while undoing a.
        await expect(h.runner(crashingLedger(h.ledger, recordsCompensated(0))).run(id)).rejects.toThrow(CrashError);
        expect(statuses(await h.saga(id))).toEqual(['compensating', 'compensation_failed', 'failed']);

        const done = await h.runner().run(id);

        expect(statuses(done)).toEqual(['compensated', 'compensation_failed', 'failed']);
        // b's effects may still be there: a human must look, whatever happened to the other steps.
        expect(done.status).toBe('compensation_failed');
      },
    );
  });

  describe('rule 6: transient errors are retried with backoff, permanent ones fail at once', () => {
    it('retries a transient error up to the policy, sleeping the backoff between attempts', async () => {
      const h = await harness();
      h.step('a', {
        execute: (_ctx, run) => {
          if (run < 3) throw transient(`503 on try ${run}`);
          return { ok: run };
        },
      });
      const id = await h.create(['a']);

      const done = await h.runner().run(id);

      expect(done.status).toBe('succeeded');
      expect(done.context.ok).toBe(3);
      expect(done.steps[0]!.attempts).toBe(3);
      // random() = 0.5: half the ceiling plus half of the other half; ceilings 100, 200.
      expect(h.clock.sleeps).toEqual([75, 150]);
      expect(
        (await h.events(id)).filter((e) => e.to === 'running' && e.from === 'running').map((e) => e.detail),
      ).toEqual(['retrying after: 503 on try 1', 'retrying after: 503 on try 2']);
    });

    it(
      'hands a retried attempt the checkpoints of the attempt before it (an action ' + 'id must not be posted twice)',
      async () => {
        const h = await harness();
        const seen: (number | undefined)[] = [];
        h.step('a', {
          execute: async (ctx, run) => {
            const recorded = ctx.context.action_id;
            seen.push(typeof recorded === 'number' ? recorded : undefined);
            if (recorded === undefined) await ctx.checkpoint({ action_id: 42 });
            if (run === 1) throw transient('503 while polling');
            return {};
          },
        });
        const id = await h.create(['a']);

        const done = await h.runner().run(id);

        expect(done.status).toBe('succeeded');
        expect(seen).toEqual([undefined, 42]);
      },
    );

    it('fails the step once the attempts are spent, saying how many', async () => {
      const h = await harness();
      h.step('a', {
        execute: () => {
          throw transient('connection reset');
        },
      });
      const id = await h.create(['a']);

      const done = await h.runner().run(id);

      expect(h.counts.get('execute:a')).toBe(3);
      expect(done.status).toBe('rolled_back');
      expect(done.steps[0]).toMatchObject({
        status: 'failed',
        attempts: 3,
        error: 'connection reset (after 3 attempts)',
      });
      expect(h.clock.sleeps).toEqual([75, 150]);
    });

    it('fails a permanent error at once, with its message, without sleeping', async () => {
      const h = await harness();
      h.step('a', {
        execute: () => {
          // Only `transient: true` means transient; anything else is permanent.
          throw Object.assign(new Error('422 droplet already has a pending event'), { transient: 'yes', status: 422 });
        },
      });
      const id = await h.create(['a']);

      const done = await h.runner().run(id);

      expect(h.counts.get('execute:a')).toBe(1);
      expect(done.steps[0]).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: '422 droplet already has a pending event',
      });
      expect(h.clock.sleeps).toEqual([]);
    });

    it("uses the step's own retry policy over the runner's, capped at maxMs", async () => {
      const h = await harness();
      h.step('a', {
        retry: { attempts: 5, baseMs: 10, maxMs: 20 },
        execute: (_ctx, run) => {
          if (run < 5) throw transient('429');
          return {};
        },
      });
      const id = await h.create(['a']);

      const done = await h.runner().run(id);

      expect(done.status).toBe('succeeded');
      expect(h.clock.sleeps).toEqual([8, 15, 15, 15]);
    });

    it('retries a transient compensation error too', async () => {
      const h = await harness();
      h.step('a', {
        compensate: (_ctx, run) => {
          if (run === 1) throw transient('504');
        },
      });
      h.step('b', {
        execute: () => {
          throw new StepFailedError('no');
        },
      });
      const id = await h.create(['a', 'b']);

      const done = await h.runner().run(id);

      expect(h.counts.get('compensate:a')).toBe(2);
      expect(done.status).toBe('rolled_back');
      expect(statuses(done)).toEqual(['compensated', 'failed']);
    });
  });

  describe('halting errors: a configuration problem stops the executor and leaves the saga resumable', () => {
    function halting(message: string): Error {
      return Object.assign(new Error(message), { haltsExecutor: true });
    }

    it(
      'halts on a ledger lost mid-step (its lease check fails ' + 'inside a request): the saga is not compensated',
      async () => {
        const h = await harness();
        let lost = false;
        const ledger = new Proxy(h.ledger, {
          get(target, prop) {
            const value: unknown = Reflect.get(target, prop, target);
            if (prop !== 'currentEpoch' || typeof value !== 'function') return value;
            return (sagaId: string) =>
              lost
                ? Promise.reject(new LedgerUnavailableError('db.internal:5432/arcadia', 'Connection terminated'))
                : (value as (id: string) => Promise<number>).call(target, sagaId);
          },
        });
        h.step('a', {
          execute: async (ctx) => {
            lost = true;
            try {
              await ctx.lease.assertHeld('read'); // what a request does right before it leaves
            } finally {
              lost = false; // the database is back for the runner's own writes
            }
            return {};
          },
        });
        const id = await h.create(['a']);
        await expect(h.runner(ledger, { heartbeatMs: 3_600_000 }).run(id)).rejects.toBeInstanceOf(
          LedgerUnavailableError,
        );
        expect(await h.saga(id)).toMatchObject({ status: 'running', owner: null });
        expect(statuses(await h.saga(id))).toEqual(['running']);
        expect(h.counts.get('compensate:a')).toBeUndefined();
        expect(
          (await h.events(id)).some((e) =>
            e.detail?.startsWith('stopped, resumable: cannot use the ledger at db.internal'),
          ),
        ).toBe(true);
      },
    );

    it(
      'rethrows from run() with the step still running, compensates nothing, and the next ' + 'run finishes it',
      async () => {
        const h = await harness();
        h.step('a');
        h.step('b', {
          execute: (_ctx, run) => {
            if (run === 1) throw halting('401 token rejected');
            return {};
          },
        });
        const id = await h.create(['a', 'b']);

        await expect(h.runner().run(id)).rejects.toThrow('401 token rejected');

        const stopped = await h.saga(id);
        expect(stopped.status).toBe('running');
        expect(statuses(stopped)).toEqual(['succeeded', 'running']);
        expect(stopped.owner).toBeNull();
        expect(h.counts.get('compensate:a')).toBeUndefined();
        expect((await h.events(id)).some((e) => e.detail?.startsWith('stopped, resumable: 401 token rejected'))).toBe(
          true,
        );
        expect(await h.liveOwner(id)).toBeUndefined();

        const done = await h.runner().run(id);
        expect(done.status).toBe('succeeded');
        expect(h.counts.get('execute:a')).toBe(1);
        expect(h.counts.get('execute:b')).toBe(2);
      },
    );

    it(
      'does not count halted runs as recovery attempts: more halts than the limit, ' + 'then the saga still finishes',
      async () => {
        const h = await harness(); // maxRecoveryAttempts: 2
        h.step('a', {
          execute: (_ctx, run) => {
            if (run <= 4) throw halting('401 token rejected');
            return {};
          },
        });
        const id = await h.create(['a']);

        for (let i = 0; i < 4; i++) await expect(h.runner().run(id)).rejects.toThrow('401');
        expect((await h.saga(id)).recoveryAttempts).toBe(0);

        const done = await h.runner().run(id);
        expect(done.status).toBe('succeeded');
        expect(done.recoveryAttempts).toBe(1);
      },
    );

    it('stops a compensation the same way: the saga stays compensating until a run can undo the step', async () => {
      const h = await harness();
      h.step('a', {
        compensate: (_ctx, run) => {
          if (run === 1) throw halting('403 read-only token');
        },
      });
      h.step('b', {
        execute: () => {
          throw new StepFailedError('no');
        },
      });
      const id = await h.create(['a', 'b']);

      await expect(h.runner().run(id)).rejects.toThrow('403 read-only token');
      expect((await h.saga(id)).status).toBe('compensating');
      expect(statuses(await h.saga(id))).toEqual(['compensating', 'failed']);

      const done = await h.runner().run(id);
      expect(done.status).toBe('rolled_back');
      expect(statuses(done)).toEqual(['compensated', 'failed']);
    });
  });

  describe('rule 7: cancellation', { timeout: 10_000 }, () => {
    it('cancels a pending saga without running any step', async () => {
      const h = await harness();
      h.step('a');
      const id = await h.create(['a']);
      await h.observer.requestCancel(id, h.clock.now());

      const done = await h.runner().run(id);

      expect(h.log).toEqual([]);
      expect(done.status).toBe('cancelled');
      expect(statuses(done)).toEqual(['pending']);
      expect((await h.events(id)).map((e) => e.to)).toEqual(['pending', 'owner', 'compensating', 'cancelled']);
    });

    it('stops between steps and compensates what ran', async () => {
      const h = await harness();
      h.step('a', {
        execute: async (ctx) => {
          // Another process asks for a cancel while a runs.
          await h.observer.requestCancel(ctx.sagaId, h.clock.now());
          return {};
        },
      });
      h.step('b');
      const id = await h.create(['a', 'b']);

      const done = await h.runner().run(id);

      expect(h.log).toEqual(['execute:a', 'compensate:a']);
      expect(done.status).toBe('cancelled');
      expect(statuses(done)).toEqual(['compensated', 'pending']);
      expect((await h.events(id)).filter((e) => e.stepIdx === 1)).toEqual([]);
    });

    it('wakes a step waiting in ctx.sleep, then compensates it and the steps before it', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      let reason: unknown;
      h.step('a');
      h.step('b', {
        execute: async (ctx) => {
          try {
            await ctx.sleep(60 * 60_000);
          } catch (error) {
            reason = error;
            throw error;
          }
          return {};
        },
      });
      h.step('c');
      const id = await h.create(['a', 'b', 'c']);
      const startedAt = clock.now();

      const running = h.runner().run(id);
      await clock.waitForSleepers(1);
      await h.observer.requestCancel(id, clock.now());
      const done = await running;

      expect(reason).toBeInstanceOf(SagaCancelledError);
      expect(clock.now()).toBe(startedAt);
      expect(h.log).toEqual(['execute:a', 'execute:b', 'compensate:b', 'compensate:a']);
      expect(done.status).toBe('cancelled');
      expect(statuses(done)).toEqual(['compensated', 'failed', 'pending']);
      expect(done.steps[1]).toMatchObject({ error: 'cancelled while running' });
      expect(done.steps[1]!.compensatedAt).not.toBeNull();
    });

    it('wakes a step waiting out a retry backoff', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      h.step('a', {
        execute: () => {
          throw transient('503');
        },
      });
      const id = await h.create(['a']);

      const running = h.runner().run(id);
      await clock.waitForSleepers(1);
      await h.observer.requestCancel(id, clock.now());
      const done = await running;

      expect(h.counts.get('execute:a')).toBe(1);
      expect(done.status).toBe('cancelled');
      expect(h.counts.get('compensate:a')).toBe(1);
    });

    it('does not abort a compensation that is under way when a cancel arrives', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      let aborted = false;
      h.step('a', {
        compensate: async (ctx) => {
          ctx.signal.addEventListener('abort', () => (aborted = true));
          await ctx.sleep(10_000); // waiting for a running action before deleting
        },
      });
      h.step('b', {
        execute: () => {
          throw new StepFailedError('no');
        },
      });
      const id = await h.create(['a', 'b']);

      let beats = 0;
      const running = h.runner(h.ledger, { leases: watchingBeats(h.leases, () => beats++) }).run(id);
      await clock.waitForSleepers(1);
      await h.observer.requestCancel(id, clock.now());
      // A beat answered after the cancel is followed by its heartbeat's look for a cancel; the next beat: that ended.
      const seen = beats;
      await waitFor(() => beats >= seen + 2, { intervalMs: 1, what: 'two heartbeats after the cancel' });
      expect(clock.pending).toBe(1);
      clock.advance(10_000);
      const done = await running;

      expect(aborted).toBe(false);
      expect(statuses(done)).toEqual(['compensated', 'failed']);
    });
  });

  describe('rule 8: a saga that keeps crashing is stopped', () => {
    it('gives up a running saga after maxRecoveryAttempts resumes and rolls it back with a clear error', async () => {
      const h = await harness();
      h.step('a');
      h.step('b');
      const id = await h.create(['a', 'b']);

      // The first run and two recoveries all die while recording b's result.
      for (let i = 0; i < 3; i++) {
        await expect(h.runner(crashingLedger(h.ledger, recordsSucceeded(1))).run(id)).rejects.toThrow(CrashError);
      }
      expect((await h.saga(id)).recoveryAttempts).toBe(2);

      const done = await h.runner().run(id);

      expect(h.counts.get('execute:b')).toBe(3);
      expect(done.status).toBe('rolled_back');
      expect(done.error).toBe('gave up after 2 recovery attempts');
      expect(done.recoveryAttempts).toBe(3);
      expect(statuses(done)).toEqual(['compensated', 'failed']);
      expect(done.steps[1]!.error).toBe('gave up after 2 recovery attempts');
      expect(h.counts.get('compensate:b')).toBe(1);
      expect((await h.events(id)).map((e) => e.detail)).toContain('recovery attempt 3 of 2');
    });

    it('gives up a compensating saga after the limit: compensation_failed, needs a human', async () => {
      const h = await harness();
      h.step('a');
      h.step('b', {
        execute: () => {
          throw new StepFailedError('no');
        },
      });
      const id = await h.create(['a', 'b']);

      for (let i = 0; i < 3; i++) {
        await expect(h.runner(crashingLedger(h.ledger, recordsCompensated(0))).run(id)).rejects.toThrow(CrashError);
      }
      const done = await h.runner().run(id);

      expect(h.counts.get('compensate:a')).toBe(3);
      expect(done.status).toBe('compensation_failed');
      expect(done.error).toBe('gave up after 2 recovery attempts');
    });
  });

  describe('fencing: a superseded executor writes nothing', { timeout: 10_000 }, () => {
    const otherOwner = { pid: 4_000_000, host: 'elsewhere', processStartedAt: null, acquiredAt: 0 };

    it('throws LeaseLostError at the first write after another executor claimed the lease', async () => {
      const h = await harness();
      let snapshot: unknown;
      h.step('a', {
        execute: async (ctx) => {
          const epoch = await h.observer.currentEpoch(ctx.sagaId);
          expect(await h.observer.claimLease(ctx.sagaId, [epoch], epoch + 1, otherOwner)).toBe(true);
          snapshot = { saga: await h.saga(ctx.sagaId), events: await h.events(ctx.sagaId) };
          return { a: 1 };
        },
      });
      h.step('b');
      const id = await h.create(['a', 'b']);

      await expect(h.runner().run(id)).rejects.toBeInstanceOf(LeaseLostError);

      expect({ saga: await h.saga(id), events: await h.events(id) }).toEqual(snapshot);
      expect(h.log).toEqual(['execute:a']);
    });

    // Writes and reads alike: a process woken from a pause must neither act nor look before it knows.
    it.each([
      { kind: 'write', what: 'fences remote writes by the ledger: assertHeld("write") fails at once' },
      { kind: 'read', what: 'every read asks the ledger too: a read right after a takeover is refused' },
    ] as const)('$what, no heartbeat between', async ({ kind }) => {
      const h = await harness();
      const seen: unknown[] = [];
      h.step('a', {
        execute: async (ctx) => {
          await ctx.lease.assertHeld(kind);
          seen.push('held');
          expect(await h.observer.claimLease(ctx.sagaId, [ctx.lease.epoch], ctx.lease.epoch + 1, otherOwner)).toBe(
            true,
          );
          try {
            await ctx.lease.assertHeld(kind);
          } catch (error) {
            seen.push(error);
            throw error;
          }
          return {};
        },
      });
      const id = await h.create(['a']);

      await expect(h.runner(undefined, { heartbeatMs: 3_600_000 }).run(id)).rejects.toBeInstanceOf(LeaseLostError);

      expect(seen[0]).toBe('held');
      expect(seen[1]).toBeInstanceOf(LeaseLostError);
    });

    it('bounds how long a passed check stays good: half the stale time after the last renewal', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      const windows: number[] = [];
      h.step('a', {
        execute: async (ctx) => {
          windows.push(ctx.lease.sendWindowMs());
          clock.advance(10_000); // no renewal yet: the window shrinks with the time gone by
          windows.push(ctx.lease.sendWindowMs());
          await new Promise((resolve) => setTimeout(resolve, 100)); // real heartbeats renew the lease
          windows.push(ctx.lease.sendWindowMs());
          return {};
        },
      });
      const id = await h.create(['a']);

      await h.runner().run(id);

      expect(windows).toEqual([STALE_MS / 2, STALE_MS / 2 - 10_000, STALE_MS / 2]);
    });

    it('stops remote work after a cancel: assertHeld throws the cancel', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      let seen: unknown;
      h.step('a', {
        execute: async (ctx) => {
          await ctx.sleep(60_000).catch(() => undefined);
          try {
            await ctx.lease.assertHeld('write');
          } catch (error) {
            seen = error;
            throw error;
          }
          return {};
        },
      });
      const id = await h.create(['a']);
      const running = h.runner().run(id);
      await clock.waitForSleepers(1);
      await h.observer.requestCancel(id, clock.now());

      expect((await running).status).toBe('cancelled');
      expect(seen).toBeInstanceOf(SagaCancelledError);
    });

    it('aborts a step waiting in ctx.sleep when the heartbeat finds the lease gone, and writes nothing', async () => {
      const clock = new FakeClock({ autoAdvance: false });
      const h = await harness({ clock });
      let reason: unknown;
      h.step('a', {
        execute: async (ctx) => {
          try {
            await ctx.sleep(60_000);
          } catch (error) {
            reason = error;
            throw error;
          }
          return {};
        },
      });
      const id = await h.create(['a']);

      // Settled as it happens: on a remote ledger the heartbeat may find the lease gone while the test still reads.
      const outcome = h
        .runner()
        .run(id)
        .then(
          () => 'finished',
          (error: unknown) => error,
        );
      await clock.waitForSleepers(1);
      const before = { saga: await h.saga(id), events: await h.events(id) };
      expect(await h.observer.claimLease(id, [1], 2, otherOwner)).toBe(true);

      expect(await outcome).toBeInstanceOf(LeaseLostError);

      expect(reason).toBeInstanceOf(LeaseLostError);
      // The claim's own change and nothing else: the executor wrote nothing after it.
      expect({ saga: await h.saga(id), events: await h.events(id) }).toEqual({
        saga: { ...before.saga, leaseEpoch: 2, owner: otherOwner },
        events: before.events,
      });
      expect(h.log).toEqual(['execute:a']);
    });
  });

  describe('the heartbeat after the last transaction', () => {
    it('does not take its own release for a takeover: the step is not aborted after it finished', async () => {
      const h = await harness();
      let aborted = false;
      h.step('a', {
        execute: (ctx) => {
          ctx.signal.addEventListener('abort', () => (aborted = true));
          return {};
        },
      });
      const id = await h.create(['a']);
      let released = false;
      let beatsAfterRelease = 0;
      let beatenTwice!: () => void;
      const beaten = new Promise<void>((resolve) => (beatenTwice = resolve));
      const leases = watchingBeats(h.leases, () => {
        if (released && ++beatsAfterRelease === 2) beatenTwice();
      });
      // The saga's last transaction (which lets go of the owner) waits for a heartbeat begun after it: the second
      // beat answered after it (heartbeats do not overlap).
      const ledger = new Proxy(h.ledger, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          if (prop !== 'apply' || typeof value !== 'function') return value;
          return async (...args: Parameters<SagaLedger['apply']>) => {
            await (value as SagaLedger['apply']).apply(target, args);
            const transitions = [args[2]].flat();
            if (!transitions.some((t) => t.saga?.releaseOwner)) return;
            released = true;
            await beaten;
            await new Promise((resolve) => setImmediate(resolve)); // the beat's caller acts on its answer
          };
        },
      });

      const done = await h.runner(ledger, { leases }).run(id);

      expect(done.status).toBe('succeeded');
      expect(aborted).toBe(false);
      expect(await h.liveOwner(id)).toBeUndefined();
    });
  });

  describe(
    'interruptions (ARCHITECTURE.md, "Interruptions"): stop, record, let go, roll nothing back',
    { timeout: 10_000 },
    () => {
      function sleepingStep(h: Harness, name: string, ms: number, seen: { reason?: unknown } = {}): void {
        h.step(name, {
          execute: async (ctx) => {
            try {
              await ctx.sleep(ms);
            } catch (error) {
              seen.reason = error;
              throw error;
            }
            return {};
          },
        });
      }

      it(
        'wakes a step waiting in ctx.sleep, records interrupted, lets go of the lease, leaves ' + 'the step be',
        async () => {
          const clock = new FakeClock({ autoAdvance: false });
          const h = await harness({ clock });
          const seen: { reason?: unknown } = {};
          h.step('a');
          sleepingStep(h, 'b', 60 * 60_000, seen);
          h.step('c');
          const id = await h.create(['a', 'b', 'c']);
          const stop = new AbortController();
          const startedAt = clock.now();

          const running = h.runner(h.ledger, { stop: stop.signal }).run(id);
          await clock.waitForSleepers(1);
          stop.abort(new InterruptedError('SIGINT'));
          const error: unknown = await running.catch((e: unknown) => e);

          expect(error).toBeInstanceOf(SagaInterruptedError);
          expect(error).toMatchObject({ sagaId: id, signalName: 'SIGINT', sagaIds: [id] });
          expect(seen.reason).toBeInstanceOf(InterruptedError);
          expect(clock.now()).toBe(startedAt);
          const stopped = await h.saga(id);
          expect(stopped.status).toBe('running');
          expect(statuses(stopped)).toEqual(['succeeded', 'running', 'pending']);
          expect(stopped.owner).toBeNull();
          expect(await h.liveOwner(id)).toBeUndefined();
          expect(h.log).toEqual(['execute:a', 'execute:b']);
          const interrupted = (await h.events(id)).filter((e) => e.to === 'interrupted');
          expect(interrupted).toHaveLength(1);
          expect(interrupted[0]).toMatchObject({ stepIdx: 1, from: 'running' });
          expect(interrupted[0]?.detail).toMatch(/^SIGINT: stopped, resumable; nothing rolled back/);

          // Resumed at once (no stale wait): the step runs again, nothing was compensated, one recovery counted.
          const resuming = h.runner().run(id);
          await clock.waitForSleepers(1);
          clock.advance(60 * 60_000);
          const done = await resuming;
          expect(done.status).toBe('succeeded');
          expect(h.counts.get('execute:b')).toBe(2);
          expect(h.counts.get('execute:c')).toBe(1);
          expect([...h.counts.keys()].some((k) => k.startsWith('compensate:'))).toBe(false);
          expect(done.recoveryAttempts).toBe(1);
        },
      );

      it('records the result of a step that finished as the signal came, and starts no further step', async () => {
        const h = await harness();
        const stop = new AbortController();
        h.step('a', {
          execute: () => {
            stop.abort(new InterruptedError('SIGTERM'));
            return { a: 1 };
          },
        });
        h.step('b');
        const id = await h.create(['a', 'b']);

        const run = h.runner(h.ledger, { stop: stop.signal }).run(id);
        await expect(run).rejects.toMatchObject({ signalName: 'SIGTERM', sagaId: id });

        const stopped = await h.saga(id);
        expect(stopped.status).toBe('running');
        expect(statuses(stopped)).toEqual(['succeeded', 'pending']);
        expect(stopped.context.a).toBe(1);
        expect(h.log).toEqual(['execute:a']);
        expect((await h.events(id)).filter((e) => e.stepIdx === 1)).toEqual([]);
        expect((await h.events(id)).at(-1)).toMatchObject({ to: 'interrupted', stepIdx: null });
        expect(await h.liveOwner(id)).toBeUndefined();
      });

      it('wakes a step waiting out a retry backoff without failing it', async () => {
        const clock = new FakeClock({ autoAdvance: false });
        const h = await harness({ clock });
        h.step('a', {
          execute: (_ctx, run) => {
            if (run === 1) throw transient('503');
            return {};
          },
        });
        const id = await h.create(['a']);
        const stop = new AbortController();

        const running = h.runner(h.ledger, { stop: stop.signal }).run(id);
        await clock.waitForSleepers(1);
        stop.abort(new InterruptedError('SIGINT'));
        await expect(running).rejects.toBeInstanceOf(SagaInterruptedError);

        expect(h.counts.get('execute:a')).toBe(1);
        expect(statuses(await h.saga(id))).toEqual(['running']);
        expect(h.counts.get('compensate:a')).toBeUndefined();
        expect((await h.runner().run(id)).status).toBe('succeeded');
      });

      it(
        'stops a compensation under way too: the saga stays compensating and a ' + 'resume finishes the rollback',
        async () => {
          const clock = new FakeClock({ autoAdvance: false });
          const h = await harness({ clock });
          h.step('a', {
            compensate: async (ctx, run) => {
              if (run === 1) await ctx.sleep(10_000);
            },
          });
          h.step('b', {
            execute: () => {
              throw new StepFailedError('no');
            },
          });
          const id = await h.create(['a', 'b']);
          const stop = new AbortController();

          const running = h.runner(h.ledger, { stop: stop.signal }).run(id);
          await clock.waitForSleepers(1);
          stop.abort(new InterruptedError('SIGTERM'));
          await expect(running).rejects.toBeInstanceOf(SagaInterruptedError);

          const stopped = await h.saga(id);
          expect(stopped.status).toBe('compensating');
          expect(statuses(stopped)).toEqual(['compensating', 'failed']);
          expect(stopped.owner).toBeNull();
          expect((await h.events(id)).at(-1)).toMatchObject({ from: 'compensating', to: 'interrupted', stepIdx: 0 });

          const done = await h.runner().run(id);
          expect(done.status).toBe('rolled_back');
          expect(statuses(done)).toEqual(['compensated', 'failed']);
        },
      );

      it('does not touch a saga when the stop came before it started', async () => {
        const h = await harness();
        h.step('a');
        const id = await h.create(['a']);
        const before = { saga: await h.saga(id), events: await h.events(id) };
        const stop = new AbortController();
        stop.abort(new InterruptedError('SIGINT'));

        await expect(h.runner(h.ledger, { stop: stop.signal }).run(id)).rejects.toMatchObject({ sagaIds: [id] });

        expect({ saga: await h.saga(id), events: await h.events(id) }).toEqual(before);
        expect(h.log).toEqual([]);
        expect(await h.liveOwner(id)).toBeUndefined();
      });
    },
  );

  describe('a saga this version cannot drive as it is', () => {
    it(
      'halts on a step it does not know (a newer arcadia wrote it), before the ' + 'lease, leaving the saga untouched',
      async () => {
        const h = await harness();
        h.step('a');
        const id = await h.create(['a', 'from_the_future']);
        await h.behind.setSaga(id, { status: 'running' });
        await h.behind.setStepStatus(id, 0, 'succeeded');
        const before = await h.saga(id);
        const eventsBefore = await h.events(id);

        const error = await h
          .runner()
          .run(id)
          .catch((e: unknown) => e);

        expect(error).toBeInstanceOf(SagaStepNotKnownError);
        expect(error).toMatchObject({ sagaId: id, stepIdx: 1, stepName: 'from_the_future', haltsExecutor: true });
        expect((error as Error).message).toContain('"from_the_future"');
        expect(h.log).toEqual([]);
        expect(await h.saga(id)).toEqual(before);
        expect(await h.events(id)).toEqual(eventsBefore);
        expect(await h.liveOwner(id)).toBeUndefined();
      },
    );

    it('halts on an unknown step of a pending saga too, so a cancel never "compensates" it', async () => {
      const h = await harness();
      h.step('a');
      const id = await h.create(['from_the_future', 'a']);
      await h.ledger.requestCancel(id, h.clock.now());
      await expect(h.runner().run(id)).rejects.toBeInstanceOf(SagaStepNotKnownError);
      expect(await h.saga(id)).toMatchObject({ status: 'pending', leaseEpoch: 0 });
      expect(h.log).toEqual([]);
    });

    it(
      'with unfinishedOnly, calls a saga found terminal under the lease already ' + 'finished, and lets the lease go',
      async () => {
        const h = await harness();
        h.step('a');
        const id = await h.create(['a']);
        // Another executor finished it between the caller's look at the unfinished sagas and this claim.
        await h.runner().run(id);

        const error = await h
          .runner()
          .run(id, { unfinishedOnly: true })
          .catch((e: unknown) => e);

        expect(error).toBeInstanceOf(SagaAlreadyFinishedError);
        expect(error).toMatchObject({ sagaId: id, status: 'succeeded' });
        expect(h.counts.get('execute:a')).toBe(1);
        expect((await h.saga(id)).owner).toBeNull();
        expect(await h.liveOwner(id)).toBeUndefined();
      },
    );
  });
});
