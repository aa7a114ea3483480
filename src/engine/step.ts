import type { Clock } from './clock.js';
import type { Json, SagaContext } from './types.js';

/** What a step sees while it runs. Everything durable goes through `checkpoint` or the returned output. */
export interface StepContext {
  readonly sagaId: string;
  readonly stepIdx: number;
  readonly stepName: string;
  /** The saga's context as recorded in the ledger, including `__inputs__` and earlier checkpoints. */
  readonly context: Readonly<SagaContext>;
  /** When this attempt's intent was recorded: remote work started after this instant may be this step's own. */
  readonly startedAt: number;
  /** Aborted when the saga is cancelled or this executor loses its lease. */
  readonly signal: AbortSignal;
  /** This executor's hold on the saga, for fencing remote work (the ledger's writes are fenced already). */
  readonly lease: StepLease;
  readonly clock: Clock;
  /** An input given at `saga start --input key=value`, or undefined. */
  input(key: string): Json | undefined;
  /** Durably merges values into the context before the step goes on (e.g. an action id right after the POST). */
  checkpoint(values: SagaContext): Promise<void>;
  /** Sleeps, waking early (with a rejection) on cancellation. */
  sleep(ms: number): Promise<void>;
  /** A progress message for the operator; not stored. */
  progress(message: string): void;
}

/** A read or a write of remote work (an API GET, or a POST or DELETE). */
export type RemoteWorkKind = 'read' | 'write';

export interface StepLease {
  readonly epoch: number;
  /**
   * Throws unless this executor may still act: LeaseLostError once the saga was taken over, or the signal's reason
   * after a cancel. Await it immediately before remote work leaves the process, after every wait. Reads and writes
   * alike read the ledger's epoch, so a process woken from a pause neither acts nor looks (SagaExecution.assertHeld).
   */
  assertHeld(kind: RemoteWorkKind): Promise<void>;
  /**
   * How long from now a passed `assertHeld` stays good: until half the stale time after the last renewal that
   * succeeded, since no other executor may take the lease over before the whole stale time has passed.
   */
  sendWindowMs(): number;
}

export interface RetryPolicy {
  /** Total attempts for transient errors, the first one included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export interface StepDefinition {
  readonly name: string;
  readonly description: string;
  /** Returns the values it adds to the context. Must be idempotent: it is run again after a crash. */
  execute(ctx: StepContext): Promise<SagaContext>;
  /**
   * Undoes whatever execute may have done, even work that was never recorded. Idempotent; "already gone" is success.
   */
  compensate(ctx: StepContext): Promise<void>;
  readonly retry?: Partial<RetryPolicy>;
}

export class StepRegistry {
  private readonly steps = new Map<string, StepDefinition>();

  register(step: StepDefinition): this {
    if (this.steps.has(step.name)) throw new Error(`step "${step.name}" registered twice`);
    this.steps.set(step.name, step);
    return this;
  }

  get(name: string): StepDefinition | undefined {
    return this.steps.get(name);
  }

  names(): string[] {
    return [...this.steps.keys()].sort();
  }
}
