import { DigitalOceanError, NotFoundError, OutcomeUnknownError, PendingEventError } from '../../digitalocean/errors.js';
import type { DropletCreateRequest } from '../../digitalocean/types.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { RestoreApi, RestoreStepDependencies } from './api.js';
import { judgeTagged, type TaggedDroplet } from './attribution.js';
import { RestoreRequestsLostError, TaggedDropletsConflictError } from './errors.js';
import { restoreInputs, type RestoreInputs } from './inputs.js';
import { restoreTag } from './naming.js';
import {
  adoptDroplet,
  createCheckpoint,
  createdByReply,
  createOutput,
  decodeCreateProgress,
  nameDroplet,
  requestCreate,
  requestRefused,
  type CreateProgress,
  type Created,
} from './progress.js';

/** Create requests that went unanswered (and found nothing by the tag) before the step gives up. */
const MAX_REQUESTS = 5;

/** Makes `next` durable, writing only the keys that change, and returns it. */
async function advance<T extends CreateProgress>(ctx: StepContext, next: T): Promise<T> {
  const changes = createCheckpoint(ctx.context, next);
  if (Object.keys(changes).length > 0) await ctx.checkpoint(changes);
  return next;
}

/**
 * The droplet carrying the saga's tag and name, if one is listed. After a request of ours went unanswered the
 * listing may lag the create (ARCHITECTURE.md), so it is asked `lookupAttempts` times before it counts as empty.
 * A conflict (a droplet the saga cannot prove it made) throws; a recorded droplet is still returned alongside it.
 */
async function findOwn(
  api: RestoreApi,
  ctx: StepContext,
  progress: Exclude<CreateProgress, { stage: 'unnamed' }>,
  deps: RestoreStepDependencies,
): Promise<TaggedDroplet | undefined> {
  const recordedId = progress.stage === 'created' ? progress.dropletId : null;
  const attempts = progress.stage === 'requested' ? deps.timings.lookupAttempts : 1;
  for (let attempt = 1; ; attempt++) {
    const listed = await api.listDroplets({ tagName: progress.tag });
    const verdict = judgeTagged(listed, { tag: progress.tag, name: progress.name, recordedId });
    if (verdict.verdict === 'conflict')
      throw new TaggedDropletsConflictError(progress.tag, verdict.dropletIds, verdict.reason);
    if (verdict.verdict === 'ours') return verdict.droplet;
    if (attempt >= attempts) return undefined;
    failpoint('restore.lookup-missed');
    ctx.progress(`no droplet tagged ${progress.tag} listed yet (${attempt}/${attempts})`);
    await ctx.sleep(deps.timings.lookupIntervalMs);
  }
}

/** The id of an adopted droplet's create action, so the wait can see it errored; null when it cannot be read. */
async function createActionOf(api: RestoreApi, dropletId: number): Promise<number | null> {
  try {
    const actions = await api.listDropletActions(dropletId);
    return actions.find((action) => action.type === 'create')?.id ?? null;
  } catch (error) {
    if (error instanceof NotFoundError) return null; // just created: GETs may 404 for a while
    throw error;
  }
}

function requestBody(inputs: RestoreInputs, progress: { name: string; tag: string }): DropletCreateRequest {
  return {
    name: progress.name,
    region: inputs.region,
    size: inputs.sizeSlug,
    image: Number(inputs.snapshotId),
    tags: [progress.tag, ...inputs.tags.filter((tag) => tag !== progress.tag)],
  };
}

/**
 * Reconcile before act (ARCHITECTURE.md): a recorded droplet is done; otherwise the saga's tag is
 * listed and a droplet carrying it and the name is adopted; only when none is found is the create posted, its time
 * checkpointed before it goes and the droplet's id the moment the reply comes. A lost reply is never re-posted
 * blind: the next round lists the tag first.
 */
async function executeCreate(ctx: StepContext, deps: RestoreStepDependencies): Promise<SagaContext> {
  const inputs = restoreInputs(ctx);
  const decoded = decodeCreateProgress(ctx.context);
  if (decoded.stage === 'created') return createOutput(decoded);
  const api = deps.api(ctx);
  let progress =
    decoded.stage === 'unnamed'
      ? await advance(ctx, nameDroplet(decoded, inputs.dropletName, restoreTag(ctx.sagaId)))
      : decoded;

  for (let unanswered = 0; ;) {
    const found = await findOwn(api, ctx, progress, deps);
    if (found) {
      const adopted = await advance(ctx, adoptDroplet(progress, found.id, await createActionOf(api, found.id)));
      ctx.progress(`adopted droplet ${found.id} (${progress.tag}), made by a request whose reply was lost`);
      return createOutput(adopted);
    }
    if (unanswered >= MAX_REQUESTS) throw new RestoreRequestsLostError(progress.tag, unanswered);
    const outstanding = progress.stage === 'requested';
    const requested = await advance(ctx, requestCreate(progress, ctx.clock.now()));
    progress = requested;
    let created: Created;
    try {
      failpoint('restore.before-post');
      const reply = await api.createDroplet(requestBody(inputs, requested));
      failpoint('restore.after-post');
      created = await advance(ctx, createdByReply(requested, reply.droplet.id, reply.actionId ?? null));
    } catch (error) {
      if (error instanceof OutcomeUnknownError) {
        unanswered++;
        ctx.progress('the reply to the create request was lost; looking for the droplet by its tag');
        await ctx.sleep(deps.timings.pollIntervalMs);
        continue;
      }
      // DigitalOcean's answer refused it, so it made nothing. Anything else (an interruption aborting the fetch) may
      // have let the request through: the request stays outstanding, for the tag to tell.
      if (error instanceof DigitalOceanError && error.status !== null) {
        await advance(ctx, requestRefused(requested, outstanding));
      }
      throw error;
    }
    failpoint('restore.after-checkpoint');
    ctx.progress(`droplet ${created.dropletId} (${created.name}) is being created from snapshot ${inputs.snapshotId}`);
    return createOutput(created);
  }
}

/**
 * Deletes a droplet of this saga; 404 is success. A droplet still being created may refuse with "pending event"
 * (a 422 DigitalOcean sends while an action runs): that is waited out, bounded, rather than left behind.
 */
async function deleteQuietly(api: RestoreApi, ctx: StepContext, id: number, deps: RestoreStepDependencies) {
  const start = ctx.clock.now();
  for (;;) {
    try {
      await api.deleteDroplet(id);
      return;
    } catch (error) {
      if (error instanceof NotFoundError) return;
      if (!(error instanceof PendingEventError) || ctx.clock.now() - start >= deps.timings.restoreTimeoutMs)
        throw error;
      ctx.progress(`droplet ${id} is busy with its create; waiting to delete it`);
      await ctx.sleep(deps.timings.pollIntervalMs);
    }
  }
}

/**
 * Deletes the droplet this saga made, recorded or found by its tag and name; 404 is success. A droplet carrying the
 * tag that the saga cannot prove it made is never deleted: the recorded one is, and then the compensation fails so
 * a person looks at the rest.
 */
async function compensateCreate(ctx: StepContext, deps: RestoreStepDependencies): Promise<void> {
  const progress = decodeCreateProgress(ctx.context);
  if (progress.stage === 'unnamed' || progress.stage === 'named') return; // no request ever made anything
  const api = deps.api(ctx);
  const recordedId = progress.stage === 'created' ? progress.dropletId : null;
  let conflict: TaggedDropletsConflictError | undefined;
  let found: TaggedDroplet | undefined;
  try {
    found = await findOwn(api, ctx, progress, deps);
  } catch (error) {
    if (!(error instanceof TaggedDropletsConflictError)) throw error;
    conflict = error;
  }
  const ids = new Set<number>();
  if (recordedId !== null) ids.add(recordedId);
  if (found) ids.add(found.id);
  for (const id of ids) {
    failpoint('restore.compensate-before-delete');
    await deleteQuietly(api, ctx, id, deps);
    failpoint('restore.compensate-after-delete');
    ctx.progress(`deleted droplet ${id} (${progress.name})`);
  }
  if (conflict) throw conflict;
}

export function createDropletFromSnapshotStep(deps: RestoreStepDependencies): StepDefinition {
  return {
    name: 'create_droplet_from_snapshot',
    description: 'creates a droplet from snapshot_id (tagged arcadia-saga-<saga id>), exactly once',
    execute: (ctx) => executeCreate(ctx, deps),
    compensate: (ctx) => compensateCreate(ctx, deps),
  };
}
