import { dropletCostUsd, dropletSize } from '../../../digitalocean/sizes.js';
import { INPUTS_KEY, type SagaRecord } from '../../../engine/types.js';
import type { DrillResult } from '../../../output/views/drill-view.js';
import { RESTORE_INPUTS } from '../../../sagas/restore/inputs.js';
import { RESTORE_KEYS } from '../../../sagas/restore/progress.js';
import { unranOutcomeFields, type DropletOutcome } from '../snapshot/outcome.js';

function inputOf(saga: SagaRecord, key: string): unknown {
  const inputs = saga.context[INPUTS_KEY];
  return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The droplet a drill saga is for, from its inputs. */
export function sourceDropletOf(saga: SagaRecord): number | undefined {
  const id = inputOf(saga, RESTORE_INPUTS.sourceDropletId);
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
}

/**
 * How long the temporary droplet was billed: from the create request to the accepted DELETE, or to the saga's end
 * when it failed (its compensation deleted the droplet by then). Null when no create request was ever sent.
 */
function lifetimeOf(saga: SagaRecord): number | null {
  const requestedAt = numberOf(saga.context[RESTORE_KEYS.requestedAt]);
  if (requestedAt === null) return null;
  const deletedAt = numberOf(saga.context[RESTORE_KEYS.deletedAt]) ?? saga.updatedAt;
  return Math.max(0, deletedAt - requestedAt);
}

function costOf(saga: SagaRecord, lifetimeMs: number | null): number | null {
  if (lifetimeMs === null) return saga.context[RESTORE_KEYS.dropletId] === undefined ? 0 : null;
  const slug = inputOf(saga, RESTORE_INPUTS.sizeSlug);
  const size = typeof slug === 'string' ? dropletSize(slug) : undefined;
  return size ? dropletCostUsd(size, lifetimeMs) : null;
}

function sagaResult(saga: SagaRecord, dropletId: number | null, resumed: boolean): DrillResult {
  const snapshotId = inputOf(saga, RESTORE_INPUTS.snapshotId);
  const slug = inputOf(saga, RESTORE_INPUTS.sizeSlug);
  const lifetimeMs = lifetimeOf(saga);
  return {
    dropletId: dropletId ?? sourceDropletOf(saga) ?? null,
    sagaId: saga.id,
    status: saga.status,
    snapshotId: typeof snapshotId === 'string' ? snapshotId : null,
    restoredDropletId: numberOf(saga.context[RESTORE_KEYS.dropletId]),
    activeAfterMs: numberOf(saga.context[RESTORE_KEYS.activeAfterMs]),
    lifetimeMs,
    sizeSlug: typeof slug === 'string' ? slug : null,
    costUsd: costOf(saga, lifetimeMs),
    error: saga.error,
    resumed,
  };
}

/** A drill's line in the summary and `--json`, from what became of its saga. */
export function drillResultOf(outcome: DropletOutcome): DrillResult {
  if (outcome.kind === 'ran') return sagaResult(outcome.saga, outcome.dropletId, outcome.resumed);
  const none = {
    snapshotId: null,
    restoredDropletId: null,
    activeAfterMs: null,
    lifetimeMs: null,
    sizeSlug: null,
    costUsd: null,
    resumed: false,
  };
  return { ...none, ...unranOutcomeFields(outcome) };
}
