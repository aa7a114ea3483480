import type { Json, SagaContext } from '../../engine/types.js';

/** Context keys this step writes; `saga show` and later steps read them. */
export const SNAPSHOT_KEYS = {
  postingAt: 'snapshot_posting_at',
  actionId: 'snapshot_action_id',
  id: 'snapshot_id',
  name: 'snapshot_name',
  sizeGigabytes: 'snapshot_size_gigabytes',
  actionMs: 'snapshot_action_ms',
  /** The action id was found on the droplet after a lost reply, not read from our POST's reply: it may not be ours. */
  adopted: 'snapshot_action_adopted',
  /** Adopted actions that turned out to make someone else's snapshot: never adopted again. */
  foreignActionIds: 'snapshot_foreign_action_ids',
} as const;

/**
 * Where the step's snapshot request stands, as its checkpoints record it:
 * - `not-posted`: no request of ours is unaccounted for (none sent, or the last one was refused);
 * - `posting`: a request sent at `postingAt` may have started a snapshot we have not seen (a crash or a lost reply);
 * - `action`: the snapshot action `actionId` is ours to wait for; `adopted` when it was found on the droplet rather
 *   than read from our POST's reply, so the listing may yet show it made someone else's snapshot;
 * - `done`: the snapshot `snapshotId` is recorded.
 * `foreignActionIds` outlives every stage: adopted actions proven someone else's, never adopted again.
 */
export type SnapshotStage =
  | { stage: 'not-posted' }
  | { stage: 'posting'; postingAt: number }
  | { stage: 'action'; postingAt: number | null; actionId: number; adopted: false }
  | { stage: 'action'; postingAt: number | null; actionId: number; adopted: true }
  | { stage: 'done'; snapshotId: string };

export type SnapshotProgress = SnapshotStage & { readonly foreignActionIds: readonly number[] };

export type Posting = Extract<SnapshotProgress, { stage: 'posting' }>;
export type AwaitingAction = Extract<SnapshotProgress, { stage: 'action' }>;
export type AdoptedAction = Extract<SnapshotProgress, { stage: 'action'; adopted: true }>;
export type NotPosted = Extract<SnapshotProgress, { stage: 'not-posted' }>;

/** The keys the stages are stored under; the output keys of `done` are written by the step's result instead. */
const PROGRESS_KEYS = [
  SNAPSHOT_KEYS.postingAt,
  SNAPSHOT_KEYS.actionId,
  SNAPSHOT_KEYS.adopted,
  SNAPSHOT_KEYS.foreignActionIds,
];

function foreignIdsOf(value: Json | undefined): number[] {
  return Array.isArray(value) ? value.filter((id): id is number => typeof id === 'number') : [];
}

/**
 * Reads the step's progress from the context. The stored form is the one every arcadia version so far has written
 * (these keys, in these combinations), so sagas left by an older version resume as they would have there; a version
 * that wrote no adoption flag recorded only actions it was sure of or treated as sure, read as not adopted.
 */
export function decodeProgress(context: Readonly<SagaContext>): SnapshotProgress {
  const foreignActionIds = foreignIdsOf(context[SNAPSHOT_KEYS.foreignActionIds]);
  const snapshotId = context[SNAPSHOT_KEYS.id];
  if (typeof snapshotId === 'string') return { stage: 'done', snapshotId, foreignActionIds };
  const postingAt = context[SNAPSHOT_KEYS.postingAt];
  const actionId = context[SNAPSHOT_KEYS.actionId];
  if (typeof actionId === 'number') {
    const at = typeof postingAt === 'number' ? postingAt : null;
    return context[SNAPSHOT_KEYS.adopted] === true
      ? { stage: 'action', postingAt: at, actionId, adopted: true, foreignActionIds }
      : { stage: 'action', postingAt: at, actionId, adopted: false, foreignActionIds };
  }
  if (typeof postingAt === 'number') return { stage: 'posting', postingAt, foreignActionIds };
  return { stage: 'not-posted', foreignActionIds };
}

/** The stored form of a stage (not `done`, which the step's output records); absent keys are left out. */
function encode(progress: SnapshotProgress): SagaContext {
  const stored: SagaContext = {};
  if (progress.foreignActionIds.length > 0) stored[SNAPSHOT_KEYS.foreignActionIds] = [...progress.foreignActionIds];
  if (progress.stage === 'posting') stored[SNAPSHOT_KEYS.postingAt] = progress.postingAt;
  if (progress.stage === 'action') {
    if (progress.postingAt !== null) stored[SNAPSHOT_KEYS.postingAt] = progress.postingAt;
    stored[SNAPSHOT_KEYS.actionId] = progress.actionId;
    if (progress.adopted) stored[SNAPSHOT_KEYS.adopted] = true;
  }
  return stored;
}

/**
 * The checkpoint that turns `context` into `next`: only the keys that change, a dropped key as null, so the ledger's
 * checkpoint events name exactly what moved.
 */
export function progressCheckpoint(context: Readonly<SagaContext>, next: SnapshotProgress): SagaContext {
  if (next.stage === 'done') throw new Error('a recorded snapshot is the step output, never a checkpoint');
  const stored = encode(next);
  const changes: SagaContext = {};
  for (const key of PROGRESS_KEYS) {
    const want = stored[key] ?? null;
    const have = context[key] ?? null;
    if (JSON.stringify(want) !== JSON.stringify(have)) changes[key] = want;
  }
  return changes;
}

/** The step's output once its snapshot is found: what `saga show`, retention and the timing history read. */
export function snapshotOutput(
  snapshot: { id: string; sizeGigabytes: number },
  name: string,
  actionMs?: number,
): SagaContext {
  return {
    [SNAPSHOT_KEYS.id]: snapshot.id,
    [SNAPSHOT_KEYS.name]: name,
    [SNAPSHOT_KEYS.sizeGigabytes]: snapshot.sizeGigabytes,
    ...(actionMs !== undefined ? { [SNAPSHOT_KEYS.actionMs]: actionMs } : {}),
  };
}

// Transitions. Each takes the stage it starts from, so an impossible move does not type-check.

/** A request is about to go out with nothing of ours unaccounted for. */
export function startPosting(from: NotPosted, at: number): Posting {
  return { stage: 'posting', postingAt: at, foreignActionIds: from.foreignActionIds };
}

/** Our POST's reply named the action: it is ours for certain. */
export function actionStarted(from: Posting, actionId: number): AwaitingAction & { adopted: false } {
  return {
    stage: 'action',
    postingAt: from.postingAt,
    actionId,
    adopted: false,
    foreignActionIds: from.foreignActionIds,
  };
}

/** An action found on the droplet after a lost reply: ours as far as we can tell, until the listing says otherwise. */
export function adoptAction(from: Posting, actionId: number): AdoptedAction {
  return {
    stage: 'action',
    postingAt: from.postingAt,
    actionId,
    adopted: true,
    foreignActionIds: from.foreignActionIds,
  };
}

/**
 * The adopted action made someone else's snapshot: our request is unaccounted for again, and that action is never
 * adopted again. Only an adopted action can be set aside; one from our POST's reply is ours.
 */
export function setAside(from: AdoptedAction): Posting | NotPosted {
  const foreignActionIds = [...from.foreignActionIds, from.actionId];
  return from.postingAt === null
    ? { stage: 'not-posted', foreignActionIds }
    : { stage: 'posting', postingAt: from.postingAt, foreignActionIds };
}

/**
 * Any reply to a POST is a refusal that started nothing. Unless an earlier request of ours is still unaccounted for,
 * the request is forgotten: a snapshot someone else started just before must never be taken for ours.
 */
export function requestRefused(from: Posting, earlierOutstanding: boolean): Posting | NotPosted {
  return earlierOutstanding ? from : { stage: 'not-posted', foreignActionIds: from.foreignActionIds };
}
