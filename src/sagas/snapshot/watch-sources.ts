/**
 * Which request answers the fleet watcher's questions most cheaply (ARCHITECTURE.md, "The fleet watcher"). Every
 * request costs one against the token's quota, whether it carries one object or 200, so the choice is a count of
 * requests. Pure: the watcher fetches, these decide.
 */

/** Objects per page of every listing the watcher reads (DigitalOcean's maximum). */
export const PAGE_SIZE = 200;

/**
 * How to learn the status of `unfinished` actions among `watched`, all started by this batch: one GET per action when
 * that costs no more than the account listing's first pages (the batch's actions are the newest there, at least
 * `ceil(watched / 200)` pages), else those pages. The listing's order is observed, not documented, so its page budget
 * has one page of slack and an action it did not show is asked for on its own.
 */
export function statusSource(
  unfinished: number,
  watched: number,
): { kind: 'single' } | { kind: 'listing'; pages: number } {
  const pages = Math.max(1, Math.ceil(watched / PAGE_SIZE));
  return unfinished <= pages ? { kind: 'single' } : { kind: 'listing', pages: pages + 1 };
}

/**
 * How to list the snapshots of `droplets` droplets: each droplet's own listing (one request each, whatever the
 * account holds) or one pass over the account's droplet snapshots (as many pages as it has snapshots / 200, which
 * the last pass measured; unknown before the first, when it is assumed to be 2). Ties go to the droplets' own
 * listings, which do not grow with the account.
 */
export function namingSource(droplets: number, accountPages: number | undefined): 'droplet' | 'account' {
  return droplets <= (accountPages ?? 2) ? 'droplet' : 'account';
}

/** Listings repeat an object on two pages when the set shifts under offset paging: the last copy read wins. */
export function byId<T extends { id: number | string }>(items: Iterable<T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) out.set(String(item.id), item);
  return out;
}

/**
 * The fleet's own timing for droplets with no history: the median duration of the batch's completed snapshot
 * actions so far, or undefined before the first completes.
 */
export function fleetExpectedMs(durations: readonly number[]): number | undefined {
  const usable = durations.filter((ms) => Number.isFinite(ms) && ms > 0).sort((a, b) => a - b);
  return usable.length ? usable[Math.floor(usable.length / 2)] : undefined;
}
