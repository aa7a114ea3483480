import type { SagaRecord } from '../../engine/types.js';
import { INPUTS_KEY } from '../../engine/types.js';
import { RESTORE_INPUTS } from './inputs.js';
import { RESTORE_KEYS } from './progress.js';

/** What a restore or drill saga says about its droplet, for `restore`, `saga show` and the drill summary. */
export interface RestoreFacts {
  kind: string;
  snapshotId: string | null;
  dropletName: string | null;
  region: string | null;
  sizeSlug: string | null;
  tags: string[];
  sourceDropletId: number | null;
  dropletId: number | null;
  activeAfterMs: number | null;
  deletedAt: number | null;
}

export function isRestoreKind(kind: string): boolean {
  return kind === 'restore' || kind === 'drill';
}

/** Reads the facts from the saga's inputs and context; whatever is not recorded (yet) is null. */
export function restoreFactsOf(saga: Pick<SagaRecord, 'kind' | 'context'>): RestoreFacts {
  const raw = saga.context[INPUTS_KEY];
  const inputs = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  const count = (value: unknown): number | null => (typeof value === 'number' ? value : null);
  const tags = inputs[RESTORE_INPUTS.tags];
  return {
    kind: saga.kind,
    snapshotId: text(inputs[RESTORE_INPUTS.snapshotId]),
    dropletName: text(saga.context[RESTORE_KEYS.name]) ?? text(inputs[RESTORE_INPUTS.dropletName]),
    region: text(inputs[RESTORE_INPUTS.region]),
    sizeSlug: text(inputs[RESTORE_INPUTS.sizeSlug]),
    tags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [],
    sourceDropletId: count(inputs[RESTORE_INPUTS.sourceDropletId]),
    dropletId: count(saga.context[RESTORE_KEYS.dropletId]),
    activeAfterMs: count(saga.context[RESTORE_KEYS.activeAfterMs]),
    deletedAt: count(saga.context[RESTORE_KEYS.deletedAt]),
  };
}
