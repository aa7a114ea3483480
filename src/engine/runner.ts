import type { Clock } from './clock.js';
import {
  type InterruptedError,
  LeaseLostError,
  SagaAlreadyFinishedError,
  SagaCancelledError,
  SagaInterruptedError,
  SagaStepNotKnownError,
  errorMessage,
  interruptionOf,
  isHaltingError,
  isTransientError,
} from './errors.js';
import type { SagaLedger, SagaTransition } from './ledger.js';
import type { SagaLease, SagaLeases } from './lease.js';
import { failpoint } from './failpoint.js';
import { backoffMs } from '../backoff.js';
import type { RemoteWorkKind, RetryPolicy, StepContext, StepDefinition, StepRegistry } from './step.js';
import {
  INPUTS_KEY,
  isTerminal,
  type SagaContext,
  type SagaRecord,
  type SagaStatus,
  type StepRecord,
} from './types.js';

export interface RunnerProgress {
  sagaId: string;
  stepIdx: number | null;
  stepName: string | null;
  /** The status just entered (`running`, `succeeded`, `compensating`, ...) or `message` for step progress. */
  status: string;
  detail?: string;
}

export interface SagaRunnerOptions {
  ledger: SagaLedger;
  registry: StepRegistry;
  clock: Clock;
  /** Who owns which saga: how this runner takes, renews and releases a saga's lease. */
  leases: SagaLeases;
  /** How often the owner renews its lease and looks for a cancel request or a lost lease. */
  heartbeatMs: number;
  /** How long after its last renewal a lease may be taken over (ARCADIA_LOCK_STALE_MS): bounds `sendWindowMs`. */
  staleMs: number;
  retry: RetryPolicy;
  /** Resumes of an unfinished saga beyond this count stop it instead of trying again. */
  maxRecoveryAttempts: number;
  random?: () => number;
  onProgress?: (progress: RunnerProgress) => void;
  /**
   * The process-wide stop (SIGINT, SIGTERM), aborted with an InterruptedError: the runner starts no further step,
   * attempt or compensation, wakes the running step's waits, records `interrupted`, lets go of the lease and throws
   * SagaInterruptedError. Nothing is rolled back. Aborts for any other reason are not interruptions and are ignored.
   */
  stop?: AbortSignal;
}

type StepOutcome = { ok: true; output: SagaContext } | { ok: false; error: string; cancelled: boolean };

/**
 * Drives sagas by the rules of ARCHITECTURE.md, "Runner rules". One instance may run many sagas, one executor per saga.
 */
export class SagaRunner {
  constructor(private readonly options: SagaRunnerOptions) {}

  /**
   * Takes the saga's lease (SagaOwnedError if it is held), drives it to a terminal status and lets go.
   * `unfinishedOnly`: a saga found terminal under the lease (another executor finished it between our look and our
   * claim) is SagaAlreadyFinishedError instead of a result, so a resumer does not report another's work as its own.
   */
  async run(sagaId: string, options: { unfinishedOnly?: boolean } = {}): Promise<SagaRecord> {
    // Stopped before this saga started: it was not touched, so there is nothing to record or let go of.
    const early = interruptionOf(this.options.stop);
    if (early) throw new SagaInterruptedError(sagaId, early.signalName);
    await this.refuseUnknownSteps(sagaId);
    const claimedAt = this.options.clock.now();
    const lease = await this.options.leases.acquire(sagaId);
    const execution = new SagaExecution(this.options, lease, claimedAt);
    try {
      await execution.drive();
    } finally {
      await execution.stop();
    }
    const saga = await this.options.ledger.getSaga(sagaId);
    if (!saga) throw new Error(`saga ${sagaId} vanished from the ledger`);
    if (options.unfinishedOnly && execution.foundFinished) throw new SagaAlreadyFinishedError(sagaId, saga.status);
    return saga;
  }

  /** Before the lease: a step this version cannot run or undo halts here, and the saga is left exactly as it was. */
  private async refuseUnknownSteps(sagaId: string): Promise<void> {
    const saga = await this.options.ledger.getSaga(sagaId);
    if (!saga || isTerminal(saga.status)) return;
    const unknown = saga.steps.find((step) => !this.options.registry.get(step.name));
    if (unknown) throw new SagaStepNotKnownError(sagaId, unknown.idx, unknown.name);
  }
}

class SagaExecution {
  private readonly ledger: SagaLedger;
  private readonly sagaId: string;
  private readonly epoch: number;
  /** Aborts a running step's work: on cancel or on a lost lease. */
  private readonly executeAbort = new AbortController();
  /** Aborts compensation only when the lease is lost: a cancel must not stop the undoing. */
  private readonly compensateAbort = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;
  private leaseLost = false;
  /** A beat still under way (a slow ledger): the next interval skips instead of piling up beats. */
  private ticking = false;
  /** The saga's recovery count before this execution: a halt gives back the attempt this execution took. */
  private recoveryAttemptsAtStart = 0;
  private ownerReleased = false;
  /** When the last renewal that succeeded (or the claim) began: the lease is this executor's until a stale time on. */
  private renewedAt: number;
  private stepNames: string[] = [];
  private readonly onStop = (): void => {
    const reason = interruptionOf(this.options.stop);
    if (!reason) return;
    if (!this.executeAbort.signal.aborted) this.executeAbort.abort(reason);
    // Unlike a cancel, an interruption stops the undoing too: the saga stays compensating and a resume finishes it.
    if (!this.compensateAbort.signal.aborted) this.compensateAbort.abort(reason);
  };
  /** Set when the saga was already terminal under this lease: nothing was driven. */
  foundFinished = false;

  constructor(
    private readonly options: SagaRunnerOptions,
    private readonly lease: SagaLease,
    claimedAt: number,
  ) {
    this.renewedAt = claimedAt;
    this.ledger = options.ledger;
    this.sagaId = lease.sagaId;
    this.epoch = lease.epoch;
    this.heartbeat = setInterval(() => void this.tick(), options.heartbeatMs);
    this.heartbeat.unref();
    options.stop?.addEventListener('abort', this.onStop, { once: true });
    this.onStop();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.leaseLost) return;
    this.ticking = true;
    try {
      const beganAt = this.options.clock.now();
      // The ledger first, also after a pause: a superseded owner must not rewrite its successor's lock file, and
      // losing the lease aborts every wait and request of the step at once.
      if ((await this.ledger.currentEpoch(this.sagaId)) !== this.epoch || !(await this.lease.beat())) {
        // Once the last transaction let go of the owner, a database-held lease has nothing left to renew: that is
        // this executor's own release, not a takeover (the last transaction is fenced, so a real one fails it).
        if (!this.ownerReleased) this.loseLease();
        return;
      }
      this.renewedAt = beganAt;
      if (!this.executeAbort.signal.aborted && (await this.ledger.isCancelRequested(this.sagaId))) {
        this.executeAbort.abort(new SagaCancelledError(this.sagaId));
      }
    } catch {
      // A busy ledger or a hiccup reading the lock file: the next beat tries again; fencing keeps writes safe.
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Fencing for remote work (StepLease.assertHeld): every request, read or write, reads the ledger's epoch right
   * before it leaves. The ledger, not this process's memory, says who owns the saga, and a process woken from a pause
   * (SIGSTOP, a frozen VM) must not act, nor even look, before it knows. One indexed read costs microseconds against
   * the request's milliseconds.
   */
  private async assertHeld(_kind: RemoteWorkKind, signal: AbortSignal): Promise<void> {
    if (this.leaseLost) throw new LeaseLostError(this.sagaId, this.epoch);
    signal.throwIfAborted();
    if ((await this.ledger.currentEpoch(this.sagaId)) !== this.epoch) {
      this.loseLease();
      throw new LeaseLostError(this.sagaId, this.epoch);
    }
    // The read may have waited (a remote ledger): what happened meanwhile counts too.
    if (this.leaseLost) throw new LeaseLostError(this.sagaId, this.epoch);
    signal.throwIfAborted();
    failpoint('lease.checked'); // a pause between a passed check and the send (test/e2e/paused-owner.test.ts)
  }

  /** StepLease.sendWindowMs: half the stale time after the last renewal, the other half a margin for clock drift. */
  private sendWindowMs(): number {
    return this.renewedAt + this.options.staleMs / 2 - this.options.clock.now();
  }

  private loseLease(): void {
    this.leaseLost = true;
    const reason = new LeaseLostError(this.sagaId, this.epoch);
    this.executeAbort.abort(reason);
    this.compensateAbort.abort(reason);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.options.stop?.removeEventListener('abort', this.onStop);
    if (this.leaseLost) return;
    try {
      if (!this.ownerReleased) await this.ledger.releaseLease(this.sagaId, this.epoch, this.options.clock.now());
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
    } finally {
      await this.lease.release();
    }
  }

  private async apply(transitions: SagaTransition | SagaTransition[]): Promise<void> {
    const all = Array.isArray(transitions) ? transitions : [transitions];
    try {
      await this.ledger.apply(this.sagaId, this.epoch, all, this.options.clock.now());
    } catch (error) {
      if (error instanceof LeaseLostError) this.loseLease();
      throw error;
    }
    for (const { step, event } of all) {
      this.options.onProgress?.({
        sagaId: this.sagaId,
        stepIdx: step?.idx ?? null,
        stepName: step ? (this.stepNames[step.idx] ?? null) : null,
        status: event.to,
        ...(event.detail !== undefined ? { detail: event.detail } : {}),
      });
    }
  }

  /** The saga's terminal transition, which also lets go of the owner columns in the same transaction. */
  private finishing(transition: SagaTransition): SagaTransition {
    this.ownerReleased = true;
    return { ...transition, saga: { ...transition.saga, releaseOwner: true } };
  }

  private async finish(transition: SagaTransition): Promise<void> {
    await this.apply(this.finishing(transition));
  }

  private async load(): Promise<SagaRecord> {
    const saga = await this.ledger.getSaga(this.sagaId);
    if (!saga) throw new Error(`saga ${this.sagaId} vanished from the ledger`);
    return saga;
  }

  async drive(): Promise<void> {
    let saga = await this.load();
    if (isTerminal(saga.status)) {
      this.foundFinished = true;
      return;
    }
    this.stepNames = saga.stepNames;
    const takeover = this.lease.takeoverReason ? ` (took over: ${this.lease.takeoverReason})` : '';
    const ownerEvent: SagaTransition = {
      event: {
        from: null,
        to: 'owner',
        detail: `pid ${this.lease.owner.pid} on ${this.lease.owner.host}, epoch ${this.epoch}${takeover}`,
      },
    };

    if (saga.status === 'running' || saga.status === 'compensating') {
      this.recoveryAttemptsAtStart = saga.recoveryAttempts;
      const attempts = saga.recoveryAttempts + 1;
      await this.apply([
        ownerEvent,
        {
          saga: { recoveryAttempts: attempts },
          event: {
            from: saga.status,
            to: saga.status,
            detail: `recovery attempt ${attempts} of ${this.options.maxRecoveryAttempts}`,
          },
        },
      ]);
      if (attempts > this.options.maxRecoveryAttempts) {
        await this.giveUp(saga, `gave up after ${attempts - 1} recovery attempts`);
        return;
      }
    }
    let intentRecordedFor: number | null = null;
    if (saga.status === 'pending') {
      const cancelled = saga.cancelRequestedAt !== null;
      // The first step's intent goes into the same transaction as the start: one fsync fewer per saga.
      const first = cancelled ? undefined : saga.steps[0];
      await this.apply([
        ownerEvent,
        {
          saga: { status: cancelled ? 'compensating' : 'running' },
          event: {
            from: 'pending',
            to: cancelled ? 'compensating' : 'running',
            detail: cancelled ? 'cancel requested' : undefined,
          },
        },
        ...(first ? [this.intentOf(first, this.options.clock.now())] : []),
      ]);
      intentRecordedFor = first?.idx ?? null;
    }
    saga = await this.load();
    if (saga.status === 'running') await this.forward(intentRecordedFor);
    else if (saga.status === 'compensating') await this.compensateAll();
  }

  private async giveUp(saga: SagaRecord, reason: string): Promise<void> {
    if (saga.status === 'compensating') {
      await this.finish({
        saga: { status: 'compensation_failed', error: reason },
        event: { from: 'compensating', to: 'compensation_failed', detail: reason },
      });
      return;
    }
    const running = saga.steps.find((s) => s.status === 'running');
    await this.apply({
      saga: { status: 'compensating', error: reason },
      ...(running
        ? { step: { idx: running.idx, status: 'failed', finishedAt: this.options.clock.now(), error: reason } }
        : {}),
      event: { from: 'running', to: 'compensating', detail: reason },
    });
    await this.compensateAll();
  }

  /** `intentRecordedFor`: the step whose intent an earlier transaction already recorded (one fsync for both). */
  private async forward(intentRecordedFor: number | null = null): Promise<void> {
    for (;;) {
      const saga = await this.load();
      const interrupted = this.interruption();
      if (interrupted)
        await this.interrupt(
          interrupted,
          'running',
          saga.steps.find((s) => s.status === 'running'),
        );
      if (saga.cancelRequestedAt !== null) {
        await this.apply({
          saga: { status: 'compensating' },
          event: { from: 'running', to: 'compensating', detail: 'cancel requested' },
        });
        await this.compensateAll();
        return;
      }
      const next = saga.steps.find((s) => s.status !== 'succeeded');
      if (!next) {
        await this.finish({ saga: { status: 'succeeded' }, event: { from: 'running', to: 'succeeded' } });
        return;
      }
      const startedAt = next.startedAt ?? this.options.clock.now();
      if (intentRecordedFor !== next.idx) await this.apply(this.intentOf(next, startedAt));
      const outcome = await this.executeStep(saga, next, startedAt);
      failpoint('runner.step-returned');
      const now = this.options.clock.now();
      if (outcome.ok) {
        const following: StepRecord | undefined = saga.steps[next.idx + 1];
        // Interrupted while the step finished: its result is recorded, the next step's intent is not (never started).
        const recordNextIntent: boolean =
          following !== undefined &&
          !(await this.ledger.isCancelRequested(this.sagaId)) &&
          this.interruption() === undefined;
        await this.apply([
          {
            saga: { contextPatch: outcome.output },
            step: { idx: next.idx, status: 'succeeded', finishedAt: now, error: null },
            event: { from: 'running', to: 'succeeded' },
          },
          ...(following && recordNextIntent ? [this.intentOf(following, now)] : []),
          ...(following
            ? []
            : [this.finishing({ saga: { status: 'succeeded' }, event: { from: 'running', to: 'succeeded' } })]),
        ]);
        failpoint('runner.step-recorded');
        if (!following) return;
        intentRecordedFor = recordNextIntent ? following.idx : null;
        continue;
      }
      await this.apply({
        saga: { status: 'compensating', error: `${next.name}: ${outcome.error}` },
        step: { idx: next.idx, status: 'failed', finishedAt: now, error: outcome.error },
        event: { from: 'running', to: 'failed', detail: outcome.error },
      });
      await this.compensateAll();
      return;
    }
  }

  /** Rule 2: a step is recorded `running` before it runs. Its first start time is kept across re-executions. */
  private intentOf(step: StepRecord, startedAt: number): SagaTransition {
    return {
      step: { idx: step.idx, status: 'running', addAttempt: true, startedAt, error: null },
      event: {
        from: step.status,
        to: 'running',
        detail: step.status === 'running' ? 'executing again after an interruption' : undefined,
      },
    };
  }

  private policyFor(definition: StepDefinition | undefined): RetryPolicy {
    return { ...this.options.retry, ...definition?.retry };
  }

  private async executeStep(saga: SagaRecord, step: StepRecord, startedAt: number): Promise<StepOutcome> {
    const definition = this.options.registry.get(step.name);
    if (!definition)
      return { ok: false, error: `step "${step.name}" is not known to this version of arcadia`, cancelled: false };
    const policy = this.policyFor(definition);
    const signal = this.executeAbort.signal;
    for (let tried = 1; ; tried++) {
      try {
        if (signal.aborted) throw signal.reason;
        // Reloaded for every attempt: an earlier attempt's checkpoints (an action id) must reach the next one.
        const output = await definition.execute(
          this.stepContext(tried === 1 ? saga : await this.load(), step, startedAt, signal),
        );
        return { ok: true, output };
      } catch (error) {
        if (this.leaseLost || error instanceof LeaseLostError) throw new LeaseLostError(this.sagaId, this.epoch);
        // Whatever the step made of its aborted wait or request, it was stopped, not failed: nothing is undone.
        const interrupted = this.interruption();
        if (interrupted) await this.interrupt(interrupted, 'running', step);
        if (signal.aborted && signal.reason instanceof SagaCancelledError) {
          return { ok: false, error: 'cancelled while running', cancelled: true };
        }
        if (isHaltingError(error)) await this.halt(step, 'running', error);
        if (!isTransientError(error) || tried >= policy.attempts) {
          const suffix = isTransientError(error) ? ` (after ${tried} attempts)` : '';
          return { ok: false, error: errorMessage(error) + suffix, cancelled: false };
        }
        await this.apply({
          step: { idx: step.idx, addAttempt: true },
          event: { from: 'running', to: 'running', detail: `retrying after: ${errorMessage(error)}` },
        });
        const delay = backoffMs(policy, tried - 1, this.options.random ?? Math.random);
        try {
          await this.options.clock.sleep(delay, signal);
        } catch {
          if (this.leaseLost) throw new LeaseLostError(this.sagaId, this.epoch);
          const interrupted = this.interruption();
          if (interrupted) await this.interrupt(interrupted, 'running', step);
          return { ok: false, error: 'cancelled while running', cancelled: true };
        }
      }
    }
  }

  /**
   * Stops this executor on a halting error, leaving the step as it is so a resume picks it up again. The attempt is
   * given back: a token that stays wrong for a week of cron runs is not a crash loop, and must not use up the
   * recovery limit and get the saga given up.
   */
  private async halt(step: StepRecord, status: 'running' | 'compensating', error: unknown): Promise<never> {
    await this.apply({
      saga: { recoveryAttempts: this.recoveryAttemptsAtStart },
      step: { idx: step.idx },
      event: { from: status, to: status, detail: `stopped, resumable: ${errorMessage(error)}` },
    });
    throw error;
  }

  /**
   * Stops this executor on an interruption (ARCHITECTURE.md, "Interruptions"): the `interrupted` event and the release
   * of the owner columns in one transaction, the saga and its steps left as they are, so a resume picks up where this
   * stopped. Like a halt, it gives back the recovery attempt: being stopped on purpose is not a crash.
   */
  private async interrupt(reason: InterruptedError, from: SagaStatus, step: StepRecord | undefined): Promise<never> {
    await this.finish({
      saga: { recoveryAttempts: this.recoveryAttemptsAtStart },
      ...(step ? { step: { idx: step.idx } } : {}),
      event: { from, to: 'interrupted', detail: `${reason.signalName}: stopped, resumable; nothing rolled back` },
    });
    throw new SagaInterruptedError(this.sagaId, reason.signalName);
  }

  private interruption(): InterruptedError | undefined {
    return interruptionOf(this.options.stop);
  }

  private async compensateAll(): Promise<void> {
    const saga = await this.load();
    // earlier runs' failures still count
    let failures = saga.steps.filter((s) => s.status === 'compensation_failed').length;
    for (const step of [...saga.steps].reverse()) {
      const needsUndo =
        step.status === 'succeeded' ||
        step.status === 'running' ||
        step.status === 'compensating' ||
        (step.status === 'failed' && step.compensatedAt === null);
      if (!needsUndo) continue;
      const interrupted = this.interruption();
      if (interrupted) await this.interrupt(interrupted, 'compensating', undefined);
      if (!(await this.compensateStep(await this.load(), step))) failures++;
    }
    const final = await this.load();
    const status =
      failures > 0 ? 'compensation_failed' : final.cancelRequestedAt !== null ? 'cancelled' : 'rolled_back';
    await this.finish({
      saga: { status },
      event: {
        from: 'compensating',
        to: status,
        detail: failures > 0 ? `${failures} step(s) could not be undone` : undefined,
      },
    });
  }

  private async compensateStep(saga: SagaRecord, step: StepRecord): Promise<boolean> {
    const definition = this.options.registry.get(step.name);
    // A failed step keeps its status so the ledger still says which step failed; its events record the undoing.
    const keepsStatus = step.status === 'failed';
    await this.apply({
      step: keepsStatus ? { idx: step.idx } : { idx: step.idx, status: 'compensating' },
      event: { from: step.status, to: 'compensating' },
    });
    const fail = async (message: string): Promise<false> => {
      await this.apply({
        step: { idx: step.idx, status: 'compensation_failed', error: message },
        event: { from: 'compensating', to: 'compensation_failed', detail: message },
      });
      return false;
    };
    if (!definition) return fail(`step "${step.name}" is not known to this version of arcadia`);
    const policy = this.policyFor(definition);
    const signal = this.compensateAbort.signal;
    for (let tried = 1; ; tried++) {
      try {
        await definition.compensate(
          this.stepContext(
            tried === 1 ? saga : await this.load(),
            step,
            step.startedAt ?? this.options.clock.now(),
            signal,
          ),
        );
        const now = this.options.clock.now();
        await this.apply({
          step: keepsStatus
            ? { idx: step.idx, compensatedAt: now }
            : { idx: step.idx, status: 'compensated', compensatedAt: now },
          event: {
            from: 'compensating',
            to: keepsStatus ? 'failed' : 'compensated',
            detail: keepsStatus ? 'compensated' : undefined,
          },
        });
        return true;
      } catch (error) {
        if (this.leaseLost || error instanceof LeaseLostError) throw new LeaseLostError(this.sagaId, this.epoch);
        // The step stays compensating: a resume undoes it again (compensation is idempotent).
        const interrupted = this.interruption();
        if (interrupted) await this.interrupt(interrupted, 'compensating', step);
        if (isHaltingError(error)) await this.halt(step, 'compensating', error);
        if (!isTransientError(error) || tried >= policy.attempts) return await fail(errorMessage(error));
        await this.apply({
          step: { idx: step.idx },
          event: { from: 'compensating', to: 'compensating', detail: `retrying after: ${errorMessage(error)}` },
        });
        try {
          await this.options.clock.sleep(backoffMs(policy, tried - 1, this.options.random ?? Math.random), signal);
        } catch (error) {
          const interrupted = this.interruption();
          if (interrupted && !this.leaseLost) await this.interrupt(interrupted, 'compensating', step);
          throw error;
        }
      }
    }
  }

  private stepContext(saga: SagaRecord, step: StepRecord, startedAt: number, signal: AbortSignal): StepContext {
    const context: SagaContext = { ...saga.context };
    const inputs = context[INPUTS_KEY];
    const clock = this.options.clock;
    return {
      sagaId: this.sagaId,
      stepIdx: step.idx,
      stepName: step.name,
      context,
      startedAt,
      signal,
      lease: {
        epoch: this.epoch,
        assertHeld: (kind) => this.assertHeld(kind, signal),
        sendWindowMs: () => this.sendWindowMs(),
      },
      clock,
      input: (key) => (inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined),
      checkpoint: async (values) => {
        if (signal.aborted && this.leaseLost) throw signal.reason;
        await this.apply({
          saga: { contextPatch: values },
          step: { idx: step.idx },
          event: { from: null, to: 'checkpoint', detail: Object.keys(values).join(', ') },
        });
        Object.assign(context, values);
      },
      sleep: (ms) => clock.sleep(ms, signal),
      progress: (message) =>
        this.options.onProgress?.({
          sagaId: this.sagaId,
          stepIdx: step.idx,
          stepName: step.name,
          status: 'message',
          detail: message,
        }),
    };
  }
}
