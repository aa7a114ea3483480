import { NotFoundError, OutcomeUnknownError, PendingEventError } from '../../digitalocean/errors.js';
import type { Action } from '../../digitalocean/types.js';
import { StepFailedError } from '../../engine/errors.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { SnapshotApi, SnapshotStepDependencies } from './api.js';
import { snapshotName } from './naming.js';
import { actionDurationMs, expectedDuration, waitForAction } from './wait.js';

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

/** DigitalOcean stamps seconds; clocks differ a little: an action this much older than our POST may still be ours. */
const CLOCK_TOLERANCE_MS = 5_000;
/** Requests lost in transit or refused while the droplet is busy: this many, then the step gives up (and compensation cleans up). */
const MAX_RECONCILES = 5;

export function dropletIdInput(ctx: Pick<StepContext, 'input'>): number {
  const raw = ctx.input('droplet_provider_id');
  const id = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new StepFailedError(`input droplet_provider_id must be a droplet id, got ${JSON.stringify(raw)}`);
  return id;
}

function diskInput(ctx: Pick<StepContext, 'input'>): number | undefined {
  const disk = ctx.input('disk_gigabytes');
  return typeof disk === 'number' && disk > 0 ? disk : undefined;
}

function labelInput(ctx: Pick<StepContext, 'input'>): string | undefined {
  const label = ctx.input('label');
  return typeof label === 'string' && label !== '' ? label : undefined;
}

export function nameFor(ctx: Pick<StepContext, 'input' | 'sagaId'>): string {
  return snapshotName(dropletIdInput(ctx), ctx.sagaId, labelInput(ctx));
}

interface NamedSnapshot {
  id: string;
  sizeGigabytes: number;
}

/** Snapshots carrying `name`; once the droplet is destroyed its snapshots are found through the global list. */
async function findByName(api: SnapshotApi, dropletId: number, name: string): Promise<NamedSnapshot[]> {
  return (await lookAround(api, dropletId, name)).ours;
}

/** Whether `at` falls while the action ran, as DigitalOcean's whole-second stamps allow. */
function ranDuring(action: Action, at: number): boolean {
  const from = Date.parse(action.started_at ?? '');
  const to = action.completed_at ? Date.parse(action.completed_at) + 1000 : Number.POSITIVE_INFINITY;
  return Number.isFinite(from) && at >= from && at < to;
}

/**
 * What the droplet's snapshot listing shows: snapshots carrying `name` and, for an adopted action, whether the listing
 * proves it made someone else's snapshot: a snapshot of another name created while that action ran, and while no
 * other snapshot action on the droplet ran.
 */
async function lookAround(
  api: SnapshotApi,
  dropletId: number,
  name: string,
  adopted?: Action,
  /** Snapshots already found blurred with another action: asked about once, not at every look. */
  blurred: Set<string> = new Set(),
): Promise<{ ours: NamedSnapshot[]; madeByAdopted?: string }> {
  try {
    const snapshots = (await api.listDropletSnapshots(dropletId)).filter((s) => s.type === 'snapshot');
    const ours = snapshots.filter((s) => s.name === name).map((s) => ({ id: String(s.id), sizeGigabytes: s.size_gigabytes }));
    const other = adopted
      ? snapshots.find((s) => s.name !== name && !blurred.has(String(s.id)) && ranDuring(adopted, Date.parse(s.created_at)))
      : undefined;
    if (!adopted || !other || ours.length > 0) return { ours };
    // Proof only if no other snapshot action on the droplet could have made it (whole seconds blur short actions).
    const actions = await api.listDropletActions(dropletId);
    const rival = actions.some(
      (a) => a.id !== adopted.id && a.type === 'snapshot' && a.status !== 'errored' && ranDuring(a, Date.parse(other.created_at)),
    );
    if (!rival) return { ours, madeByAdopted: other.name };
    blurred.add(String(other.id));
    return { ours };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const all = await api.listSnapshots({ resourceType: 'droplet' });
  return {
    ours: all.filter((s) => s.name === name && s.resource_id === String(dropletId)).map((s) => ({ id: s.id, sizeGigabytes: s.size_gigabytes })),
  };
}

/** The action, when the context says it was adopted rather than read from our POST's reply. */
function adoptedOf(context: SagaContext, action: Action): Action | undefined {
  return context[SNAPSHOT_KEYS.adopted] === true ? action : undefined;
}

function foreignActionIds(context: SagaContext): number[] {
  const ids = context[SNAPSHOT_KEYS.foreignActionIds];
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}

/**
 * The snapshot action our request of `postingAt` started, when its reply was lost. Actions DigitalOcean stamps at or
 * after that second come first (earliest: our first request); one stamped a little earlier is accepted only when no
 * such action exists, because clocks differ.
 */
async function findOwnAction(api: SnapshotApi, dropletId: number, postingAt: number, foreign: number[]): Promise<Action | undefined> {
  let actions: Action[];
  try {
    actions = await api.listDropletActions(dropletId);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined; // no droplet, so no action of ours on it
    throw error;
  }
  const postingSecond = Math.floor(postingAt / 1000) * 1000;
  const candidates = actions
    .map((action) => ({ action, startedAt: Date.parse(action.started_at ?? '') }))
    .filter(
      ({ action, startedAt }) =>
        action.type === 'snapshot' && action.status !== 'errored' && !foreign.includes(action.id) && startedAt >= postingAt - CLOCK_TOLERANCE_MS,
    );
  const after = candidates.filter((c) => c.startedAt >= postingSecond).sort((a, b) => a.startedAt - b.startedAt);
  const before = candidates.filter((c) => c.startedAt < postingSecond).sort((a, b) => b.startedAt - a.startedAt);
  return (after[0] ?? before[0])?.action;
}

/** Polls the droplet until no action holds it, bounded by the action timeout. */
async function waitUntilUnlocked(api: SnapshotApi, ctx: StepContext, dropletId: number, deps: SnapshotStepDependencies): Promise<void> {
  const start = ctx.clock.now();
  for (;;) {
    const droplet = await api.getDroplet(dropletId);
    if (!droplet.locked) return;
    if (ctx.clock.now() - start > deps.timings.actionTimeoutMs) {
      throw new StepFailedError(`droplet ${dropletId} stayed locked by another action for ${deps.timings.actionTimeoutMs} ms`);
    }
    ctx.progress(`droplet ${dropletId} is busy with another action; waiting`);
    await ctx.sleep(deps.timings.pollIntervalMs);
  }
}

function recorded(snapshot: NamedSnapshot, name: string, action?: Action): SagaContext {
  const ms = action ? actionDurationMs(action) : undefined;
  return {
    [SNAPSHOT_KEYS.id]: snapshot.id,
    [SNAPSHOT_KEYS.name]: name,
    [SNAPSHOT_KEYS.sizeGigabytes]: snapshot.sizeGigabytes,
    ...(ms !== undefined ? { [SNAPSHOT_KEYS.actionMs]: ms } : {}),
  };
}

/** Our snapshot, or proof that the adopted action made someone else's; undefined when neither showed in time. */
type LookUpResult = { found: NamedSnapshot } | { notOurs: string } | undefined;

/** The snapshot appears in listings a little after its action completes: look again a few times. */
async function lookUp(api: SnapshotApi, ctx: StepContext, dropletId: number, name: string, deps: SnapshotStepDependencies, adopted?: Action): Promise<LookUpResult> {
  const blurred = new Set<string>();
  for (let attempt = 1; attempt <= deps.timings.lookupAttempts; attempt++) {
    const { ours, madeByAdopted } = await lookAround(api, dropletId, name, adopted, blurred);
    if (ours[0]) return { found: ours[0] };
    if (madeByAdopted !== undefined) return { notOurs: madeByAdopted };
    failpoint('snapshot.lookup-missed');
    if (attempt < deps.timings.lookupAttempts) {
      ctx.progress(`snapshot ${name} not listed yet (${attempt}/${deps.timings.lookupAttempts})`);
      await ctx.sleep(deps.timings.lookupIntervalMs);
    }
  }
  return undefined;
}

/** The action's snapshot recorded, or 'not-ours' when the adopted action turned out to be someone else's. */
async function finish(api: SnapshotApi, ctx: StepContext, dropletId: number, name: string, action: Action, deps: SnapshotStepDependencies): Promise<SagaContext | 'not-ours'> {
  const done = await waitForAction(api, ctx, action, deps.timings, expectedDuration(deps.snapshotHistory(dropletId, diskInput(ctx))));
  failpoint('snapshot.after-complete');
  if (done.status === 'errored') throw new StepFailedError(`DigitalOcean reports snapshot action ${done.id} for droplet ${dropletId} errored`);
  const result = await lookUp(api, ctx, dropletId, name, deps, adoptedOf(ctx.context, done));
  if (result && 'notOurs' in result) {
    ctx.progress(`action ${done.id} made snapshot "${result.notOurs}", so it is not ours; looking for our request again`);
    await ctx.checkpoint({
      [SNAPSHOT_KEYS.actionId]: null,
      [SNAPSHOT_KEYS.adopted]: null,
      [SNAPSHOT_KEYS.foreignActionIds]: [...foreignActionIds(ctx.context), done.id],
    });
    return 'not-ours';
  }
  if (!result) {
    throw new StepFailedError(
      `snapshot action ${done.id} completed but no snapshot named ${name} was listed after ${deps.timings.lookupAttempts} look-ups (ARCADIA_LOOKUP_ATTEMPTS)`,
    );
  }
  return recorded(result.found, name, done);
}

/**
 * Reconcile before act (DESIGN.md section 5): a recorded snapshot is done; a checkpointed action is polled, not
 * re-posted; once a POST may have happened, a snapshot carrying our name or a snapshot action begun since is adopted,
 * and set aside again if it turns out to have made someone else's snapshot. Only when none of that finds anything is
 * the action posted, and its id is checkpointed the moment it returns.
 */
async function executeSnapshot(ctx: StepContext, deps: SnapshotStepDependencies): Promise<SagaContext> {
  if (typeof ctx.context[SNAPSHOT_KEYS.id] === 'string') return {};
  const api = deps.api(ctx);
  const dropletId = dropletIdInput(ctx);
  const name = nameFor(ctx);

  for (let reconcile = 0; ; reconcile++) {
    const checkpointed = ctx.context[SNAPSHOT_KEYS.actionId];
    if (typeof checkpointed === 'number') {
      const result = await finish(api, ctx, dropletId, name, await api.getAction(checkpointed), deps);
      if (result !== 'not-ours') return result;
      continue; // our request is unaccounted for again: look for it, or post
    }

    // Set while a request of ours may have started a snapshot we have not seen: a crash or a lost reply.
    const postingAt = ctx.context[SNAPSHOT_KEYS.postingAt];
    const outstanding = typeof postingAt === 'number';
    if (outstanding) {
      const [existing] = await findByName(api, dropletId, name);
      if (existing) return recorded(existing, name);
      const own = await findOwnAction(api, dropletId, postingAt, foreignActionIds(ctx.context));
      if (own) {
        await ctx.checkpoint({ [SNAPSHOT_KEYS.actionId]: own.id, [SNAPSHOT_KEYS.adopted]: true });
        ctx.progress(`adopted snapshot action ${own.id} started before an interruption`);
        continue;
      }
    } else {
      await ctx.checkpoint({ [SNAPSHOT_KEYS.postingAt]: ctx.clock.now() });
    }
    if (reconcile >= MAX_RECONCILES) {
      throw new StepFailedError(`could not start a snapshot of droplet ${dropletId} in ${MAX_RECONCILES} requests (replies lost or the droplet kept busy)`);
    }

    let action: Action;
    try {
      failpoint('snapshot.before-post');
      action = await api.postDropletAction(dropletId, { type: 'snapshot', name });
    } catch (error) {
      if (error instanceof OutcomeUnknownError) {
        ctx.progress('the reply to the snapshot request was lost; checking what DigitalOcean did');
        await ctx.sleep(deps.timings.pollIntervalMs);
        continue;
      }
      // Any reply is a refusal, so this request started nothing. Unless an earlier one of ours is unaccounted for,
      // forget it: a snapshot someone else started just before must never be taken for ours.
      if (!outstanding) await ctx.checkpoint({ [SNAPSHOT_KEYS.postingAt]: null });
      if (error instanceof PendingEventError) {
        await waitUntilUnlocked(api, ctx, dropletId, deps);
        continue;
      }
      throw error;
    }
    failpoint('snapshot.after-post');
    await ctx.checkpoint({ [SNAPSHOT_KEYS.actionId]: action.id });
    failpoint('snapshot.after-checkpoint');
    ctx.progress(`snapshot action ${action.id} started`);
    const result = await finish(api, ctx, dropletId, name, action, deps);
    if (result === 'not-ours') throw new Error('an action from our own POST reply is never judged not ours');
    return result;
  }
}

async function deleteQuietly(api: SnapshotApi, id: string): Promise<void> {
  try {
    await api.deleteSnapshot(id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

/**
 * Deletes whatever this saga's snapshot request produced, recorded or not. A still-running action is waited for
 * first, so no snapshot appears after the rollback; only snapshots carrying this saga's name (or its recorded id)
 * are ever deleted.
 */
async function compensateSnapshot(ctx: StepContext, deps: SnapshotStepDependencies): Promise<void> {
  const api = deps.api(ctx);
  const dropletId = dropletIdInput(ctx);
  const name = nameFor(ctx);
  const deleteAll = async (snapshots: NamedSnapshot[]): Promise<void> => {
    for (const snapshot of snapshots) {
      failpoint('snapshot.compensate-before-delete');
      await deleteQuietly(api, snapshot.id);
      failpoint('snapshot.compensate-after-delete');
    }
  };

  const recordedId = ctx.context[SNAPSHOT_KEYS.id];
  if (typeof recordedId === 'string') {
    failpoint('snapshot.compensate-before-delete');
    await deleteQuietly(api, recordedId);
    failpoint('snapshot.compensate-after-delete');
    await deleteAll(await findByName(api, dropletId, name));
    return;
  }
  const postingAt = ctx.context[SNAPSHOT_KEYS.postingAt];
  if (typeof postingAt !== 'number') return; // no request was ever sent, or the last one was refused

  const checkpointed = ctx.context[SNAPSHOT_KEYS.actionId];
  const action =
    typeof checkpointed === 'number' ? await api.getAction(checkpointed) : await findOwnAction(api, dropletId, postingAt, foreignActionIds(ctx.context));
  const done = action ? await waitForAction(api, ctx, action, deps.timings) : undefined;
  if (done?.status !== 'completed') {
    await deleteAll(await findByName(api, dropletId, name)); // nothing should exist; a single look costs little and proves it
    return;
  }
  // The completed action's snapshot may take a while to be listed: look as long as the forward step would.
  // An action found by looking (not from our POST's reply) may be someone else's: the listing can show it.
  const adopted = typeof checkpointed === 'number' ? adoptedOf(ctx.context, done) : done;
  const blurred = new Set<string>();
  for (let attempt = 1; attempt <= deps.timings.lookupAttempts; attempt++) {
    const { ours, madeByAdopted } = await lookAround(api, dropletId, name, adopted, blurred);
    if (ours.length > 0) return deleteAll(ours);
    if (madeByAdopted !== undefined) return; // that action made someone else's snapshot: ours never existed
    if (attempt < deps.timings.lookupAttempts) await ctx.sleep(deps.timings.lookupIntervalMs);
  }
  throw new StepFailedError(
    `snapshot action ${done.id} completed but no snapshot named ${name} was listed after ${deps.timings.lookupAttempts} look-ups; ` +
      'it may still appear: check with arcadia reconcile',
  );
}

export function createSnapshotStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'create_droplet_snapshot',
    description: 'takes a snapshot of droplet_provider_id, exactly once',
    execute: (ctx) => executeSnapshot(ctx, deps),
    compensate: (ctx) => compensateSnapshot(ctx, deps),
  };
}
