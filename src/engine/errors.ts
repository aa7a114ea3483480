import { ArcadiaError } from '../errors.js';
import type { SagaOwner } from './types.js';

export class SagaNotFoundError extends ArcadiaError {
  readonly code = 'saga_not_found';
  constructor(readonly sagaRef: string) {
    super(`no saga matches "${sagaRef}"`);
  }
}

export class AmbiguousSagaIdError extends ArcadiaError {
  readonly code = 'ambiguous_saga_id';
  constructor(
    readonly prefix: string,
    readonly matches: string[],
  ) {
    super(
      `"${prefix}" matches ${matches.length} sagas ` +
        `(${matches.slice(0, 3).join(', ')}${matches.length > 3 ? ', ...' : ''}); give more of the id`,
    );
  }
}

export class UnknownStepError extends ArcadiaError {
  readonly code = 'unknown_step';
  constructor(
    readonly stepName: string,
    readonly known: string[],
  ) {
    super(`unknown step "${stepName}"; known steps: ${known.join(', ')}`);
  }
}

function describeOwner(owner: SagaOwner | null): string {
  if (!owner) return 'another executor';
  return `pid ${owner.pid} on ${owner.host} since ${new Date(owner.acquiredAt).toISOString()}`;
}

/** Another live executor holds the saga: exit 3. */
export class SagaOwnedError extends ArcadiaError {
  readonly code = 'saga_owned';
  constructor(
    readonly sagaId: string,
    readonly owner: SagaOwner | null,
  ) {
    super(`saga ${sagaId} is owned by ${describeOwner(owner)}; not running it twice`);
  }
}

/** This executor's lease was taken over (it was paused past the stale time): it must stop writing at once. */
export class LeaseLostError extends ArcadiaError {
  readonly code = 'lease_lost';
  constructor(
    readonly sagaId: string,
    readonly epoch: number,
  ) {
    super(`saga ${sagaId}: lease epoch ${epoch} was taken over by another executor; this executor stopped`);
  }
}

export class SagaNotResumableError extends ArcadiaError {
  readonly code = 'saga_not_resumable';
  constructor(
    readonly sagaId: string,
    readonly status: string,
  ) {
    super(`saga ${sagaId} is ${status}; only pending, running or compensating sagas can be resumed`);
  }
}

/**
 * A saga names a step this version does not know (a newer arcadia wrote it). Rolling it back would "compensate" a
 * step nobody can undo here, so the executor halts before taking the lease and the saga stays as it was.
 */
export class SagaStepNotKnownError extends ArcadiaError {
  readonly code = 'step_not_known';
  readonly haltsExecutor = true;
  constructor(
    readonly sagaId: string,
    readonly stepIdx: number,
    readonly stepName: string,
  ) {
    super(
      `saga ${sagaId} has step ${stepIdx} "${stepName}", which this version of arcadia does not know ` +
        '(written by a newer arcadia?); upgrade arcadia. The saga was left untouched and stays resumable',
    );
  }
}

/** The saga was already finished when this executor got its lease: another executor drove it to its end first. */
export class SagaAlreadyFinishedError extends ArcadiaError {
  readonly code = 'saga_already_finished';
  constructor(
    readonly sagaId: string,
    readonly status: string,
  ) {
    super(`saga ${sagaId} was already ${status} when this executor got its lease; another executor finished it`);
  }
}

/** Thrown by the `fail` test step and by anything that fails on purpose. Never transient. */
export class StepFailedError extends ArcadiaError {
  readonly code = 'step_failed';
}

/** The reason given to a step's abort signal when an operator cancels the saga. */
export class SagaCancelledError extends ArcadiaError {
  readonly code = 'saga_cancelled';
  constructor(readonly sagaId: string) {
    super(`saga ${sagaId} was cancelled`);
  }
}

/** The signals that interrupt an executor (Ctrl-C, or systemd and container runtimes stopping it). */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/**
 * The process was asked to stop: the reason the CLI's signal handler aborts the process-wide stop signal with.
 * Nothing is rolled back; `sagaIds` are the sagas left unfinished (resumable), empty when none had started.
 */
export class InterruptedError extends ArcadiaError {
  readonly code = 'interrupted';
  constructor(
    readonly signalName: InterruptSignal,
    readonly sagaIds: readonly string[] = [],
  ) {
    const unfinished = sagaIds.length > 0 ? `; unfinished: ${sagaIds.join(', ')}` : '';
    super(`interrupted by ${signalName}${unfinished}; nothing was rolled back`);
  }
}

/** The runner stopped one saga on an interruption: recorded `interrupted`, lease released, saga resumable. */
export class SagaInterruptedError extends InterruptedError {
  constructor(
    readonly sagaId: string,
    signalName: InterruptSignal,
  ) {
    super(signalName, [sagaId]);
  }
}

/** The interruption a process-wide stop signal carries, once it has fired (other abort reasons are not ones). */
export function interruptionOf(stop: AbortSignal | undefined): InterruptedError | undefined {
  return stop?.aborted === true && stop.reason instanceof InterruptedError ? stop.reason : undefined;
}

/**
 * Errors that say they are worth retrying carry `transient: true` (the DigitalOcean client's network, 429 and 5xx
 * errors do). The engine knows nothing else about them.
 */
export function isTransientError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'transient' in error && error.transient === true;
}

/**
 * Errors that say this executor cannot go on as configured (a rejected token, a refused API URL) carry
 * `haltsExecutor: true`. The runner stops where it is and leaves the saga resumable: failing the step would start a
 * compensation that the same configuration cannot carry out either, and fixing the configuration must be enough.
 */
export function isHaltingError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'haltsExecutor' in error && error.haltsExecutor === true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
