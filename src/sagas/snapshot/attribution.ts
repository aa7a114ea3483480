import type { Action, DropletSnapshot, Snapshot } from '../../digitalocean/types.js';

/**
 * Whose action or snapshot a listing shows. DigitalOcean never says which snapshot an action made, and stamps times in
 * whole seconds, so these rules decide from names and times alone. Pure: the step fetches, these judge.
 */

/** DigitalOcean stamps seconds; clocks differ a little: an action this much older than our POST may still be ours. */
export const CLOCK_TOLERANCE_MS = 5_000;

export interface NamedSnapshot {
  id: string;
  sizeGigabytes: number;
}

/** Epoch ms of an ISO stamp; NaN for a missing or unreadable one, which no time comparison then matches. */
function stamp(iso: string | null | undefined): number {
  return Date.parse(iso ?? '');
}

/** Whether `at` falls while the action ran, as DigitalOcean's whole-second stamps allow. */
export function ranDuring(action: Action, at: number): boolean {
  const from = stamp(action.started_at);
  const to = action.completed_at ? stamp(action.completed_at) + 1000 : Number.POSITIVE_INFINITY;
  return Number.isFinite(from) && at >= from && at < to;
}

/** Our snapshots in a droplet's listing: the exact name, snapshots only (never backups); ids compared as strings. */
export function snapshotsNamed(listing: readonly DropletSnapshot[], name: string): NamedSnapshot[] {
  return listing
    .filter((s) => s.type === 'snapshot' && s.name === name)
    .map((s) => ({ id: String(s.id), sizeGigabytes: s.size_gigabytes }));
}

/** Our snapshots in the account-wide listing, where a destroyed droplet's snapshots still show. */
export function snapshotsNamedGlobally(listing: readonly Snapshot[], name: string, dropletId: number): NamedSnapshot[] {
  return listing
    .filter((s) => s.name === name && s.resource_id === String(dropletId))
    .map((s) => ({ id: String(s.id), sizeGigabytes: s.size_gigabytes }));
}

/**
 * The snapshot action our request of `postingAt` started, when its reply was lost. Actions DigitalOcean stamps at or
 * after that second come first (earliest: our first request); one stamped a little earlier is accepted only when no
 * such action exists, because clocks differ. Errored actions made nothing; foreign ones were proven someone else's.
 */
export function chooseOwnAction(
  history: readonly Action[],
  postingAt: number,
  foreign: readonly number[],
): Action | undefined {
  const postingSecond = Math.floor(postingAt / 1000) * 1000;
  const candidates = history
    .map((action) => ({ action, startedAt: stamp(action.started_at) }))
    .filter(
      ({ action, startedAt }) =>
        action.type === 'snapshot' &&
        action.status !== 'errored' &&
        !foreign.includes(action.id) &&
        startedAt >= postingAt - CLOCK_TOLERANCE_MS,
    );
  const after = candidates.filter((c) => c.startedAt >= postingSecond).sort((a, b) => a.startedAt - b.startedAt);
  const before = candidates.filter((c) => c.startedAt < postingSecond).sort((a, b) => b.startedAt - a.startedAt);
  return (after[0] ?? before[0])?.action;
}

/**
 * A snapshot of another name, created while the adopted action ran: a sign that the action made someone else's
 * snapshot. Only a sign, until `adoptedMadeSuspect` rules out every other action; `blurred` holds the snapshots
 * already found to be ambiguous, so they are not asked about again.
 */
export function suspectSnapshot(
  listing: readonly DropletSnapshot[],
  name: string,
  adopted: Action,
  blurred: ReadonlySet<string>,
): DropletSnapshot | undefined {
  return listing.find(
    (s) =>
      s.type === 'snapshot' && s.name !== name && !blurred.has(String(s.id)) && ranDuring(adopted, stamp(s.created_at)),
  );
}

/**
 * Proof that the adopted action made `suspect`: no other snapshot action on the droplet (errored ones made nothing)
 * ran when it was created. Whole-second stamps blur short actions together; then nothing is proven.
 */
export function adoptedMadeSuspect(history: readonly Action[], adopted: Action, suspect: DropletSnapshot): boolean {
  const createdAt = stamp(suspect.created_at);
  return !history.some(
    (a) => a.id !== adopted.id && a.type === 'snapshot' && a.status !== 'errored' && ranDuring(a, createdAt),
  );
}
