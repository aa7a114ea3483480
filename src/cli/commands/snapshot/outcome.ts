import { errorMessage } from '../../../engine/errors.js';
import { INPUTS_KEY, type SagaRecord } from '../../../engine/types.js';
import type { SnapshotResult } from '../../../output/views/snapshot-view.js';
import { PRUNED_KEY, PRUNE_ERROR_KEY } from '../../../sagas/snapshot/prune-step.js';
import { EXIT, exitCodeForError, exitCodeForStatus, worstExitCode, type ExitCode } from '../../exit-codes.js';

/**
 * What became of one droplet's saga in a snapshot run. `resumed` marks a saga an earlier run left unfinished that
 * this run drove: it counts in the summary and the exit code like the run's own.
 */
export type DropletOutcome =
  /** The saga was driven here; its record says how it ended. */
  | { kind: 'ran'; dropletId: number | null; saga: SagaRecord; resumed: boolean }
  /** Recorded and not run (`--detach`): `saga resume` runs it. */
  | { kind: 'pending'; dropletId: number; sagaId: string }
  /** Another live run has this droplet: in good hands, not a failure. */
  | { kind: 'skipped'; dropletId: number; sagaId: string; reason: string }
  /** Stopped unfinished here (a rejected token, a busy ledger, a signal): the saga stays resumable. */
  | { kind: 'interrupted'; dropletId: number | null; sagaId: string; error: unknown; notStarted?: boolean };

/** The droplet a snapshot saga is for, from its inputs. */
export function dropletOf(saga: SagaRecord): number | undefined {
  const inputs = saga.context[INPUTS_KEY];
  const id = inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs.droplet_provider_id : undefined;
  return typeof id === 'number' ? id : undefined;
}

function pruneErrorOf(saga: SagaRecord): string | null {
  const value = saga.context[PRUNE_ERROR_KEY];
  return typeof value === 'string' ? value : null;
}

function sagaResult(saga: SagaRecord, dropletId: number | null, resumed: boolean): SnapshotResult {
  const text = (key: string): string | null => {
    const value = saga.context[key];
    return typeof value === 'string' ? value : null;
  };
  const size = saga.context.snapshot_size_gigabytes;
  const pruned = saga.context[PRUNED_KEY];
  const pruneError = pruneErrorOf(saga);
  return {
    dropletId,
    sagaId: saga.id,
    status: saga.status,
    snapshotId: saga.status === 'succeeded' ? text('snapshot_id') : null,
    snapshotName: saga.status === 'succeeded' ? text('snapshot_name') : null,
    error: saga.error ?? (pruneError ? `retention: ${pruneError}` : null),
    resumed,
    pruneFailed: pruneError !== null,
    sizeGigabytes: typeof size === 'number' ? size : null,
    durationMs: saga.updatedAt - saga.createdAt,
    ...(Array.isArray(pruned) ? { pruned: pruned.map(String) } : {}),
  };
}

/** What every result shows of an outcome whose saga did not run here; the rest of the result is the kind's own. */
export interface UnranOutcomeFields {
  dropletId: number | null;
  sagaId: string;
  status: 'pending' | 'skipped' | 'interrupted';
  error: string | null;
}

/** Pending, skipped or interrupted, as the summary tables and `--json` of every batch command show it. */
export function unranOutcomeFields(outcome: Exclude<DropletOutcome, { kind: 'ran' }>): UnranOutcomeFields {
  const { dropletId, sagaId } = outcome;
  switch (outcome.kind) {
    case 'pending':
      return { dropletId, sagaId, status: 'pending', error: null };
    case 'skipped':
      return { dropletId, sagaId, status: 'skipped', error: outcome.reason };
    case 'interrupted':
      return {
        dropletId,
        sagaId,
        status: 'interrupted',
        error: `${outcome.notStarted ? 'not started: ' : ''}${errorMessage(outcome.error)}`,
      };
  }
}

/** The outcome as the summary table and `--json` show it. */
export function resultOf(outcome: DropletOutcome): SnapshotResult {
  if (outcome.kind === 'ran') return sagaResult(outcome.saga, outcome.dropletId, outcome.resumed);
  return { snapshotId: null, snapshotName: null, resumed: false, ...unranOutcomeFields(outcome) };
}

export function exitCodeForOutcome(outcome: DropletOutcome): ExitCode {
  switch (outcome.kind) {
    case 'skipped':
    case 'pending':
      return EXIT.ok;
    case 'interrupted':
      return exitCodeForError(outcome.error);
    case 'ran':
      if (pruneErrorOf(outcome.saga) !== null) return EXIT.needsAttention;
      return exitCodeForStatus(outcome.saga.status);
  }
}

/** A run exits with its worst droplet, resumed orphans included. */
export function exitCodeForRun(outcomes: DropletOutcome[]): ExitCode {
  return worstExitCode(outcomes.map(exitCodeForOutcome));
}
