import { isTerminal, type SagaStatus } from '../../../engine/types.js';
import { sagaIdOfRestoreTag } from '../../../sagas/restore/naming.js';

/** A droplet as the listing gives it, the fields the rule reads. */
export interface TaggedDroplet {
  id: number;
  name: string;
  tags: readonly string[];
  createdAt: string;
}

/** What the ledger says about the saga a tag names. */
export interface TaggingSaga {
  id: string;
  kind: string;
  status: SagaStatus;
  createdAt: number;
  /** The droplet a restore or drill recorded (`restore_droplet_id`), if any. */
  restoredDropletId: number | null;
  /** The name it created the droplet under (`restore_name`), if recorded. */
  restoreName: string | null;
}

/** Why a tagged droplet is a leak, and whether `reconcile --delete` may remove it. */
export interface LeakedRestoreVerdict {
  sagaId: string;
  reason: string;
  deletable: boolean;
}

/** The saga ids a droplet's tags name (`arcadia-saga-<saga id>`, put on by every restore and drill). */
export function sagaIdsOfTags(tags: readonly string[]): string[] {
  return tags.flatMap((tag) => {
    const id = sagaIdOfRestoreTag(tag);
    return id === undefined ? [] : [id];
  });
}

const MAKES_DROPLETS = ['restore', 'drill'];

/** The provider's clock and ours may differ by this much: a droplet created a moment "before" its saga is ours. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether the droplet carries our name and was made after its saga began: the tag alone is text anyone can copy
 * onto a droplet (or onto a droplet created from a restored droplet's own snapshot), and arcadia must never delete
 * a droplet it did not make.
 */
function madeBy(droplet: TaggedDroplet, saga: TaggingSaga): boolean {
  const created = Date.parse(droplet.createdAt);
  const nameMatches = saga.restoreName === null || saga.restoreName === droplet.name;
  return nameMatches && Number.isFinite(created) && created >= saga.createdAt - CLOCK_SKEW_MS;
}

function verdictForSaga(
  droplet: TaggedDroplet,
  saga: TaggingSaga | undefined,
  sagaId: string,
): LeakedRestoreVerdict | null {
  // Unknown here: it may be another host's or another home's arcadia, whose saga may have succeeded (the droplet is
  // then someone's restore) or still be running. Only the ledger that made it can say, so it is never deleted here.
  if (!saga) return { sagaId, reason: 'no saga in this ledger (another arcadia home may own it)', deletable: false };
  if (!isTerminal(saga.status)) return null; // in flight: its saga will keep or remove it
  if (!MAKES_DROPLETS.includes(saga.kind)) {
    return { sagaId, reason: `saga ${sagaId} is a ${saga.kind} saga, which makes no droplets`, deletable: false };
  }
  if (saga.kind === 'restore' && saga.status === 'succeeded' && saga.restoredDropletId === droplet.id) return null;
  const why =
    saga.kind === 'drill'
      ? `drill ${saga.status}: its temporary droplet should be gone`
      : saga.status === 'succeeded'
        ? `restore succeeded with droplet ${saga.restoredDropletId ?? '(none recorded)'}: this is a second one`
        : `restore ${saga.status}: it should have left no droplet`;
  if (!madeBy(droplet, saga)) {
    return {
      sagaId,
      reason: `${why}; but its name or creation time is not the saga's, so it is left`,
      deletable: false,
    };
  }
  return { sagaId, reason: why, deletable: true };
}

/**
 * Whether a droplet tagged by arcadia is accounted for (null) or leaked: a terminal restore or drill saga of this
 * ledger that should have left none (a rolled back or cancelled restore, any finished drill, a second droplet of a
 * succeeded restore), or a saga unknown here. Only the first kind may be deleted.
 */
export function leakedRestoreVerdict(
  droplet: TaggedDroplet,
  sagaOf: (sagaId: string) => TaggingSaga | undefined,
): LeakedRestoreVerdict | null {
  const ids = sagaIdsOfTags(droplet.tags);
  const [first] = ids;
  if (first === undefined) return null;
  const verdicts = ids.map((id) => verdictForSaga(droplet, sagaOf(id), id));
  if (verdicts.some((v) => v === null)) return null;
  if (ids.length > 1) {
    return {
      sagaId: first,
      reason: `tagged by ${ids.length} sagas (${ids.join(', ')}): left for a human`,
      deletable: false,
    };
  }
  return verdicts[0] ?? null;
}
