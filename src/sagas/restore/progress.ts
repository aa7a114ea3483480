import type { SagaContext } from '../../engine/types.js';

/** Context keys the restore and drill steps write; `saga show`, reconcile and the drill summary read them. */
export const RESTORE_KEYS = {
  tag: 'restore_tag',
  name: 'restore_name',
  /** When the latest create request was sent: checkpointed before it goes, so a crash leaves it behind. */
  requestedAt: 'restore_requested_at',
  dropletId: 'restore_droplet_id',
  /** The create action from the POST's reply, or found on an adopted droplet; null when none was named. */
  actionId: 'restore_action_id',
  /** The droplet was found by its tag after a lost reply or a crash, not read from the POST's reply. */
  adopted: 'restore_adopted',
  /** Time from the create request to the droplet seen active and unlocked (`wait_droplet_active`). */
  activeAfterMs: 'active_after_ms',
  /** When `delete_restored_droplet` had its DELETE accepted (drills). */
  deletedAt: 'restore_deleted_at',
} as const;

/**
 * Where `create_droplet_from_snapshot` stands, as its checkpoints record it:
 * - `unnamed`: nothing recorded yet;
 * - `named`: the droplet's name and the saga's tag are recorded; no request of ours is unaccounted for (none sent,
 *   or the last one was refused);
 * - `requested`: a create request sent at `requestedAt` may have made a droplet we have not seen (a crash or a lost
 *   reply): only the tag can tell;
 * - `created`: the droplet `dropletId` is ours: from the POST's reply, or `adopted` (found carrying the tag and name).
 */
export type CreateProgress =
  | { stage: 'unnamed' }
  | { stage: 'named'; name: string; tag: string }
  | { stage: 'requested'; name: string; tag: string; requestedAt: number }
  | {
      stage: 'created';
      name: string;
      tag: string;
      requestedAt: number | null;
      dropletId: number;
      actionId: number | null;
      adopted: boolean;
    };

export type Unnamed = Extract<CreateProgress, { stage: 'unnamed' }>;
export type Named = Extract<CreateProgress, { stage: 'named' }>;
export type Requested = Extract<CreateProgress, { stage: 'requested' }>;
export type Created = Extract<CreateProgress, { stage: 'created' }>;

const PROGRESS_KEYS = [
  RESTORE_KEYS.tag,
  RESTORE_KEYS.name,
  RESTORE_KEYS.requestedAt,
  RESTORE_KEYS.dropletId,
  RESTORE_KEYS.actionId,
  RESTORE_KEYS.adopted,
];

/** Reads the step's progress from the context; anything incomplete reads as the stage before it. */
export function decodeCreateProgress(context: Readonly<SagaContext>): CreateProgress {
  const name = context[RESTORE_KEYS.name];
  const tag = context[RESTORE_KEYS.tag];
  if (typeof name !== 'string' || typeof tag !== 'string') return { stage: 'unnamed' };
  const requested = context[RESTORE_KEYS.requestedAt];
  const requestedAt = typeof requested === 'number' ? requested : null;
  const dropletId = context[RESTORE_KEYS.dropletId];
  if (typeof dropletId === 'number') {
    const action = context[RESTORE_KEYS.actionId];
    const actionId = typeof action === 'number' ? action : null;
    return {
      stage: 'created',
      name,
      tag,
      requestedAt,
      dropletId,
      actionId,
      adopted: context[RESTORE_KEYS.adopted] === true,
    };
  }
  return requestedAt === null ? { stage: 'named', name, tag } : { stage: 'requested', name, tag, requestedAt };
}

function encode(progress: CreateProgress): SagaContext {
  if (progress.stage === 'unnamed') return {};
  const stored: SagaContext = { [RESTORE_KEYS.name]: progress.name, [RESTORE_KEYS.tag]: progress.tag };
  if (progress.stage === 'requested') stored[RESTORE_KEYS.requestedAt] = progress.requestedAt;
  if (progress.stage === 'created') {
    if (progress.requestedAt !== null) stored[RESTORE_KEYS.requestedAt] = progress.requestedAt;
    stored[RESTORE_KEYS.dropletId] = progress.dropletId;
    stored[RESTORE_KEYS.actionId] = progress.actionId;
    if (progress.adopted) stored[RESTORE_KEYS.adopted] = true;
  }
  return stored;
}

/** The checkpoint that turns `context` into `next`: only the keys that change, a dropped key as null. */
export function createCheckpoint(context: Readonly<SagaContext>, next: CreateProgress): SagaContext {
  const stored = encode(next);
  const changes: SagaContext = {};
  for (const key of PROGRESS_KEYS) {
    const want = stored[key] ?? null;
    if (JSON.stringify(want) !== JSON.stringify(context[key] ?? null)) changes[key] = want;
  }
  return changes;
}

/** What the step returns once its droplet is known: the same keys its checkpoints hold. */
export function createOutput(progress: Created): SagaContext {
  return encode(progress);
}

// Transitions. Each takes the stage it starts from, so an impossible move does not type-check.

/** The name and tag are fixed before anything is sent. */
export function nameDroplet(_from: Unnamed, name: string, tag: string): Named {
  return { stage: 'named', name, tag };
}

/** A create request is about to go: from now on a droplet carrying the tag may be ours. */
export function requestCreate(from: Named | Requested, at: number): Requested {
  return { stage: 'requested', name: from.name, tag: from.tag, requestedAt: at };
}

/** The POST's reply named the droplet: ours for certain. */
export function createdByReply(from: Requested, dropletId: number, actionId: number | null): Created {
  return { ...from, stage: 'created', dropletId, actionId, adopted: false };
}

/** A droplet carrying the saga's tag and the droplet's name was found: a request of ours made it. */
export function adoptDroplet(from: Named | Requested, dropletId: number, actionId: number | null): Created {
  const requestedAt = from.stage === 'requested' ? from.requestedAt : null;
  return { stage: 'created', name: from.name, tag: from.tag, requestedAt, dropletId, actionId, adopted: true };
}

/**
 * DigitalOcean answered the request with a refusal, so it made nothing. Unless an earlier request of ours is still
 * unaccounted for, the step is back to having sent nothing (a rollback then has nothing to look for).
 */
export function requestRefused(from: Requested, earlierOutstanding: boolean): Named | Requested {
  return earlierOutstanding ? from : { stage: 'named', name: from.name, tag: from.tag };
}
