import { NotFoundError, OutcomeUnknownError, PendingEventError } from '../../digitalocean/errors.js';
import type { Action } from '../../digitalocean/types.js';
import { StepFailedError } from '../../engine/errors.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { SnapshotApi, SnapshotStepDependencies } from './api.js';
import {
  adoptedMadeSuspect,
  chooseOwnAction,
  snapshotsNamed,
  snapshotsNamedGlobally,
  suspectSnapshot,
  type NamedSnapshot,
} from './attribution.js';
import { SnapshotActionUnfinishedError } from './errors.js';
import type { SnapshotSighting, SnapshotWatcher } from './fleet-watcher.js';
import { snapshotName } from './naming.js';
import {
  actionStarted,
  adoptAction,
  decodeProgress,
  progressCheckpoint,
  requestRefused,
  setAside,
  snapshotOutput,
  startPosting,
  type AwaitingAction,
  type NotPosted,
  type Posting,
  type SnapshotProgress,
} from './progress.js';
import { ActionTimeoutError, actionDurationMs, expectedDuration, waitForAction, type FinishedAction } from './wait.js';

export { SNAPSHOT_KEYS } from './progress.js';

/**
 * Requests lost in transit or refused while the droplet is busy: this many, then the step gives up (and compensation
 * cleans up).
 */
const MAX_RECONCILES = 5;

export function dropletIdInput(ctx: Pick<StepContext, 'input'>): number {
  const raw = ctx.input('droplet_provider_id');
  const id = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new StepFailedError(`input droplet_provider_id must be a droplet id, got ${JSON.stringify(raw)}`);
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

/** Progress short of a recorded snapshot: what the step's loop moves through. */
type Unfinished = Exclude<SnapshotProgress, { stage: 'done' }>;

/** Makes `next` durable, writing only the keys that change, and returns it. */
async function advance<T extends Unfinished>(ctx: StepContext, next: T): Promise<T> {
  const changes = progressCheckpoint(ctx.context, next);
  if (Object.keys(changes).length > 0) await ctx.checkpoint(changes);
  return next;
}

/** Snapshots carrying `name`; once the droplet is destroyed its snapshots are found through the global list. */
async function findByName(api: SnapshotApi, dropletId: number, name: string): Promise<NamedSnapshot[]> {
  return (await lookAround(api, dropletId, name)).ours;
}

/**
 * What the droplet's snapshot listing shows: snapshots carrying `name` and, for an adopted action, whether the listing
 * proves it made someone else's snapshot (attribution.ts has the rules). The action history is asked for only when
 * the listing raises the suspicion.
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
    const listing = await api.listDropletSnapshots(dropletId);
    const ours = snapshotsNamed(listing, name);
    if (!adopted || ours.length > 0) return { ours };
    const suspect = suspectSnapshot(listing, name, adopted, blurred);
    if (!suspect) return { ours };
    if (adoptedMadeSuspect(await api.listDropletActions(dropletId), adopted, suspect)) {
      return { ours, madeByAdopted: suspect.name };
    }
    blurred.add(String(suspect.id));
    return { ours };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  return { ours: snapshotsNamedGlobally(await api.listSnapshots({ resourceType: 'droplet' }), name, dropletId) };
}

/** The snapshot action the request of `posting` started, when its reply was lost. */
async function findOwnAction(api: SnapshotApi, dropletId: number, posting: Posting): Promise<Action | undefined> {
  try {
    return chooseOwnAction(await api.listDropletActions(dropletId), posting.postingAt, posting.foreignActionIds);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined; // no droplet, so no action of ours on it
    throw error;
  }
}

/** Polls the droplet until no action holds it, bounded by the action timeout. */
async function waitUntilUnlocked(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  deps: SnapshotStepDependencies,
): Promise<void> {
  const start = ctx.clock.now();
  for (;;) {
    const droplet = await api.getDroplet(dropletId);
    if (!droplet.locked) return;
    if (ctx.clock.now() - start > deps.timings.actionTimeoutMs) {
      throw new StepFailedError(
        `droplet ${dropletId} stayed locked by another action for ${deps.timings.actionTimeoutMs} ms`,
      );
    }
    ctx.progress(`droplet ${dropletId} is busy with another action; waiting`);
    await ctx.sleep(deps.timings.pollIntervalMs);
  }
}

/** Our snapshot, or proof that the adopted action made someone else's; undefined when neither showed in time. */
type LookUpResult = { found: NamedSnapshot } | { notOurs: string } | undefined;

/** The snapshot appears in listings a little after its action completes: look again a few times. */
async function lookUp(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  name: string,
  deps: SnapshotStepDependencies,
  adopted?: Action,
): Promise<LookUpResult> {
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

/**
 * `lookUp` through the batch's watcher, for an action from our own POST's reply: a snapshot carrying our name on the
 * droplet is ours. The first look waits out a listing lag after the completion; a droplet gone meanwhile (404) is
 * looked up as `lookUp` does, in the account's listing.
 */
async function lookUpWatched(
  watcher: SnapshotWatcher,
  api: SnapshotApi,
  ctx: StepContext,
  { dropletId, name, done }: { dropletId: number; name: string; done: Action },
  deps: SnapshotStepDependencies,
): Promise<LookUpResult> {
  const { lookupAttempts, lookupIntervalMs } = deps.timings;
  const completedAt = Date.parse(done.completed_at ?? '');
  let notBefore = Math.max(ctx.clock.now(), (Number.isFinite(completedAt) ? completedAt : 0) + lookupIntervalMs);
  for (let attempt = 1; attempt <= lookupAttempts; attempt++) {
    let sighting: SnapshotSighting;
    try {
      sighting = await watcher.snapshotsOf({ dropletId, notBefore, signal: ctx.signal });
    } catch (error) {
      if (error instanceof NotFoundError) return lookUp(api, ctx, dropletId, name, deps);
      throw error;
    }
    const [ours] =
      sighting.source === 'account'
        ? snapshotsNamedGlobally(sighting.snapshots, name, dropletId)
        : snapshotsNamed(sighting.snapshots, name);
    if (ours) return { found: ours };
    failpoint('snapshot.lookup-missed');
    ctx.progress(`snapshot ${name} not listed yet (${attempt}/${lookupAttempts})`);
    notBefore = ctx.clock.now() + lookupIntervalMs;
  }
  return undefined;
}

/** The step's output once the snapshot is found, or the progress after an adopted action was set aside. */
type Finished = { output: SagaContext } | { unaccounted: Posting | NotPosted };

/** Waits for the awaited action and records its snapshot, or sets the action aside when it was someone else's. */
async function finish(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  name: string,
  awaiting: AwaitingAction,
  action: Action,
  deps: SnapshotStepDependencies,
): Promise<Finished> {
  const expectedMs = expectedDuration(await deps.snapshotHistory(dropletId, diskInput(ctx)));
  const watcher = deps.watcher?.();
  const done = watcher
    ? await watcher.awaitAction({
        action,
        expectedMs,
        timeoutMs: deps.timings.actionTimeoutMs,
        signal: ctx.signal,
        progress: (message) => ctx.progress(message),
      })
    : await waitForAction(api, ctx, action, deps.timings, expectedMs);
  failpoint('snapshot.after-complete');
  if (done.status === 'errored')
    throw new StepFailedError(`DigitalOcean reports snapshot action ${done.id} for droplet ${dropletId} errored`);
  const adopted = awaiting.adopted ? awaiting : undefined;
  // An adopted action may have made someone else's snapshot: only the droplet's own listings can show it.
  const result =
    watcher && !adopted
      ? await lookUpWatched(watcher, api, ctx, { dropletId, name, done }, deps)
      : await lookUp(api, ctx, dropletId, name, deps, adopted && done);
  if (!result) {
    throw new StepFailedError(
      `snapshot action ${done.id} completed but no snapshot named ${name} was listed ` +
        `after ${deps.timings.lookupAttempts} look-ups (ARCADIA_LOOKUP_ATTEMPTS)`,
    );
  }
  if ('found' in result) return { output: snapshotOutput(result.found, name, actionDurationMs(done)) };
  if (!adopted) throw new Error('an action from our own POST reply is never judged not ours');
  ctx.progress(`action ${done.id} made snapshot "${result.notOurs}", so it is not ours; looking for our request again`);
  return { unaccounted: await advance(ctx, setAside(adopted)) };
}

/**
 * Reconcile before act (ARCHITECTURE.md, "The snapshot step"): a recorded snapshot is done; an awaited action is
 * polled, not re-posted; once a POST may have happened, a snapshot carrying our name or a snapshot action begun since
 * is adopted, and set aside again if it turns out to have made someone else's snapshot. Only when none of that finds
 * anything is the action posted, and its id is checkpointed the moment it returns. progress.ts names the stages.
 */
async function executeSnapshot(ctx: StepContext, deps: SnapshotStepDependencies): Promise<SagaContext> {
  const decoded = decodeProgress(ctx.context);
  if (decoded.stage === 'done') return {};
  let progress: Unfinished = decoded;
  const api = deps.api(ctx);
  const dropletId = dropletIdInput(ctx);
  const name = nameFor(ctx);

  for (let reconcile = 0; ; reconcile++) {
    if (progress.stage === 'action') {
      const result = await finish(api, ctx, dropletId, name, progress, await api.getAction(progress.actionId), deps);
      if ('output' in result) return result.output;
      progress = result.unaccounted; // our request is unaccounted for again: look for it, or post
      continue;
    }

    // A request of ours may have started a snapshot we have not seen: a crash or a lost reply.
    const outstanding = progress.stage === 'posting';
    let posting: Posting;
    if (progress.stage === 'posting') {
      const [existing] = await findByName(api, dropletId, name);
      if (existing) return snapshotOutput(existing, name);
      const own = await findOwnAction(api, dropletId, progress);
      if (own) {
        progress = await advance(ctx, adoptAction(progress, own.id));
        ctx.progress(`adopted snapshot action ${own.id} started before an interruption`);
        continue;
      }
      posting = progress;
    } else {
      posting = await advance(ctx, startPosting(progress, ctx.clock.now()));
    }
    progress = posting;
    if (reconcile >= MAX_RECONCILES) {
      throw new StepFailedError(
        `could not start a snapshot of droplet ${dropletId} in ${MAX_RECONCILES} requests (replies lost or ` +
          `the droplet kept busy)`,
      );
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
      progress = await advance(ctx, requestRefused(posting, outstanding));
      if (error instanceof PendingEventError) {
        await waitUntilUnlocked(api, ctx, dropletId, deps);
        continue;
      }
      throw error;
    }
    failpoint('snapshot.after-post');
    const started = await advance(ctx, actionStarted(posting, action.id));
    failpoint('snapshot.after-checkpoint');
    ctx.progress(`snapshot action ${action.id} started`);
    const result = await finish(api, ctx, dropletId, name, started, action, deps);
    if ('unaccounted' in result) throw new Error('an action from our own POST reply is never judged not ours');
    return result.output;
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
 * Waits for an action of this saga to end. One that does not end in time may still make a snapshot after the
 * rollback, so the undo cannot be reported done: the compensation fails and the saga needs attention.
 */
async function waitBeforeUndo(
  api: SnapshotApi,
  ctx: StepContext,
  action: Action,
  name: string,
  deps: SnapshotStepDependencies,
): Promise<FinishedAction> {
  try {
    return await waitForAction(api, ctx, action, deps.timings);
  } catch (error) {
    if (error instanceof ActionTimeoutError) {
      throw new SnapshotActionUnfinishedError(error.actionId, error.status, error.waitedMs, name);
    }
    throw error;
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

  const progress = decodeProgress(ctx.context);
  if (progress.stage === 'done') {
    failpoint('snapshot.compensate-before-delete');
    await deleteQuietly(api, progress.snapshotId);
    failpoint('snapshot.compensate-after-delete');
    await deleteAll(await findByName(api, dropletId, name));
    return;
  }
  if (progress.stage === 'not-posted') return; // no request was ever sent, or the last one was refused

  const action =
    progress.stage === 'action'
      ? await api.getAction(progress.actionId)
      : await findOwnAction(api, dropletId, progress);
  const done = action ? await waitBeforeUndo(api, ctx, action, name, deps) : undefined;
  if (done?.status !== 'completed') {
    // nothing should exist; a single look costs little and proves it
    await deleteAll(await findByName(api, dropletId, name));
    return;
  }
  // The completed action's snapshot may take a while to be listed: look as long as the forward step would.
  // An action found by looking (not from our POST's reply) may be someone else's: the listing can show it.
  const adopted = progress.stage === 'posting' || progress.adopted ? done : undefined;
  const blurred = new Set<string>();
  for (let attempt = 1; attempt <= deps.timings.lookupAttempts; attempt++) {
    const { ours, madeByAdopted } = await lookAround(api, dropletId, name, adopted, blurred);
    if (ours.length > 0) return deleteAll(ours);
    if (madeByAdopted !== undefined) return; // that action made someone else's snapshot: ours never existed
    if (attempt < deps.timings.lookupAttempts) await ctx.sleep(deps.timings.lookupIntervalMs);
  }
  throw new StepFailedError(
    `snapshot action ${done.id} completed but no snapshot named ${name} was listed ` +
      `after ${deps.timings.lookupAttempts} look-ups; ` +
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
