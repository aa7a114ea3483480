import type { DigitalOceanClient } from '../../digitalocean/client.js';
import type { Action, DropletSnapshot, Snapshot } from '../../digitalocean/types.js';
import type { Clock } from '../../engine/clock.js';
import { failpoint } from '../../engine/failpoint.js';
import { nextLookDelay, type PollSchedule } from './poll-schedule.js';
import { ActionTimeoutError, actionDurationMs, isFinished, type FinishedAction } from './wait.js';
import { byId, fleetExpectedMs, namingSource, statusSource } from './watch-sources.js';

/**
 * One watcher per batch (per process): answers every saga's "is my action done, and which snapshots does my droplet
 * have" from shared listings, so a fleet pays per listing page instead of per saga (ARCHITECTURE.md, "The fleet
 * watcher"). A cache, never a source of truth: it holds answers only in memory, and the sagas' own attribution
 * rules judge what it hands them. Its reads are the batch's, like planning's listing: they carry no saga's lease,
 * and nothing they learn reaches the ledger but through a saga's own epoch-checked writes.
 */

export type WatcherApi = Pick<
  DigitalOceanClient,
  'getAction' | 'listActionsPage' | 'listSnapshots' | 'listDropletSnapshots'
>;

/** A droplet's snapshots as one listing showed them: the account's (string ids) or the droplet's own. */
export type SnapshotSighting =
  { source: 'account'; snapshots: Snapshot[] } | { source: 'droplet'; snapshots: DropletSnapshot[] };

export interface SnapshotWatcher {
  /**
   * Resolves once a listing (or, where none can answer, a GET of the action) shows the action finished; rejects
   * with ActionTimeoutError past `timeoutMs` of waiting, with the signal's reason on abort.
   */
  awaitAction(request: {
    action: Action;
    expectedMs: number | undefined;
    timeoutMs: number;
    signal: AbortSignal;
    progress(message: string): void;
  }): Promise<FinishedAction>;
  /** The droplet's snapshots from the next listing at or after `notBefore` (epoch ms). */
  snapshotsOf(request: { dropletId: number; notBefore: number; signal: AbortSignal }): Promise<SnapshotSighting>;
}

export interface FleetWatcherOptions {
  /** The batch's shared client, unfenced (see above); made on first use. */
  api(): WatcherApi;
  clock: Clock;
  schedule: PollSchedule;
  /** How far apart naming listings are: ARCADIA_LOOKUP_INTERVAL_MS. */
  lookupIntervalMs: number;
}

interface ActionWaiter {
  action: Action;
  startedAt: number;
  expectedMs: number | undefined;
  waitFrom: number;
  timeoutMs: number;
  nextLookAt: number;
  signal: AbortSignal;
  progress(message: string): void;
  resolve(action: FinishedAction): void;
  reject(error: unknown): void;
}

interface SnapshotWaiter {
  dropletId: number;
  notBefore: number;
  signal: AbortSignal;
  resolve(sighting: SnapshotSighting): void;
  reject(error: unknown): void;
}

export class FleetWatcher implements SnapshotWatcher {
  private readonly actions = new Set<ActionWaiter>();
  private readonly namings = new Set<SnapshotWaiter>();
  /** Every action ever handed to this watcher: they are all among the account's newest. */
  private readonly watched = new Set<number>();
  private readonly durations: number[] = [];
  private accountPages: number | undefined;
  private running = false;
  private wakeEarly: AbortController | undefined;

  constructor(private readonly options: FleetWatcherOptions) {}

  /** Requests the watcher made: what the bench and tests count. */
  readonly requests = { single: 0, actionPages: 0, accountSnapshotPasses: 0, dropletListings: 0 };

  awaitAction(request: Parameters<SnapshotWatcher['awaitAction']>[0]): Promise<FinishedAction> {
    const { action, expectedMs, timeoutMs, signal, progress } = request;
    if (isFinished(action)) return Promise.resolve(action);
    return new Promise<FinishedAction>((resolve, reject) => {
      const now = this.options.clock.now();
      const startedAt = Date.parse(action.started_at ?? '') || now;
      const waiter: ActionWaiter = {
        action,
        startedAt,
        expectedMs,
        waitFrom: now,
        timeoutMs,
        nextLookAt: now + this.delayFor(now - startedAt, expectedMs),
        signal,
        progress,
        resolve,
        reject,
      };
      this.watched.add(action.id);
      this.enlist(this.actions, waiter);
    });
  }

  snapshotsOf(request: Parameters<SnapshotWatcher['snapshotsOf']>[0]): Promise<SnapshotSighting> {
    return new Promise<SnapshotSighting>((resolve, reject) => {
      this.enlist(this.namings, { ...request, resolve, reject });
    });
  }

  private enlist<T extends { signal: AbortSignal; reject(error: unknown): void }>(set: Set<T>, waiter: T): void {
    if (waiter.signal.aborted) {
      waiter.reject(waiter.signal.reason);
      return;
    }
    waiter.signal.addEventListener(
      'abort',
      () => {
        if (set.delete(waiter)) waiter.reject(waiter.signal.reason);
      },
      { once: true },
    );
    set.add(waiter);
    this.wakeEarly?.abort();
    if (!this.running) void this.run();
  }

  private delayFor(elapsedMs: number, expectedMs: number | undefined): number {
    return nextLookDelay(elapsedMs, expectedMs ?? fleetExpectedMs(this.durations), this.options.schedule);
  }

  /** Sleeps until the earliest look anyone needs, looks, and repeats while anyone waits. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.actions.size > 0 || this.namings.size > 0) {
        const due = this.nextDueAt();
        const wait = due - this.options.clock.now();
        if (wait > 0) {
          this.wakeEarly = new AbortController();
          await this.options.clock.sleep(wait, this.wakeEarly.signal).catch(() => undefined);
          this.wakeEarly = undefined;
          continue; // someone new may need an earlier look
        }
        await this.round();
      }
    } catch (error) {
      // A fault of the watcher itself: every saga waiting on it hears of it, none waits forever.
      for (const waiter of [...this.actions]) this.drop(this.actions, waiter, error);
      for (const waiter of [...this.namings]) this.drop(this.namings, waiter, error);
    } finally {
      this.running = false;
    }
  }

  private nextDueAt(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const w of this.actions) due = Math.min(due, w.nextLookAt);
    for (const w of this.namings) due = Math.min(due, w.notBefore);
    return due;
  }

  /**
   * One look: the statuses, then the snapshot listings, each only when someone is due for it; a look then serves
   * those due soon as well, one listing instead of several.
   */
  private async round(): Promise<void> {
    const now = this.options.clock.now();
    const { pollIntervalMs } = this.options.schedule;
    const actions = [...this.actions];
    if (actions.some((w) => w.nextLookAt <= now)) {
      await this.statusRound(actions.filter((w) => w.nextLookAt <= now + pollIntervalMs / 2));
    }
    const namings = [...this.namings];
    if (namings.some((w) => w.notBefore <= now)) {
      await this.namingRound(namings.filter((w) => w.notBefore <= now + this.options.lookupIntervalMs));
    }
  }

  private async statusRound(due: ActionWaiter[]): Promise<void> {
    const api = this.options.api();
    const unfinished = [...this.actions];
    const seen = new Map<number, Action>();
    try {
      const source = statusSource(unfinished.length, this.watched.size);
      if (source.kind === 'listing') {
        const wanted = new Set(unfinished.map((w) => w.action.id));
        for (let page: number | undefined = 1; page !== undefined && page <= source.pages;) {
          const reply = await api.listActionsPage(page);
          this.requests.actionPages++;
          for (const action of byId(reply.actions).values()) {
            if (wanted.delete(action.id)) seen.set(action.id, action);
          }
          page = wanted.size > 0 ? reply.next : undefined;
        }
      }
      // Not seen is unknown, not gone: those due are asked for one by one.
      for (const waiter of due) {
        if (seen.has(waiter.action.id)) continue;
        seen.set(waiter.action.id, await api.getAction(waiter.action.id));
        this.requests.single++;
      }
    } catch (error) {
      for (const waiter of due) this.drop(this.actions, waiter, error);
      return;
    }
    failpoint('action.polled');
    failpoint('watcher.actions-listed'); // the process dies holding answers no saga has recorded yet
    this.apply(seen, new Set(due));
  }

  /**
   * What a round saw: finished actions resolve their sagas and time the rest of the fleet. Only sagas that were due
   * (or whose action finished) hear about it, so a fleet's progress lines come as often as a lone saga's polls.
   */
  private apply(seen: Map<number, Action>, due: ReadonlySet<ActionWaiter>): void {
    const now = this.options.clock.now();
    const hadFleetTiming = fleetExpectedMs(this.durations) !== undefined;
    for (const waiter of [...this.actions]) {
      const action = seen.get(waiter.action.id);
      if (!action) continue;
      waiter.action = action;
      const elapsed = Math.round((now - waiter.startedAt) / 1000);
      if (due.has(waiter) || isFinished(action))
        waiter.progress(`${action.type} action ${action.id} ${action.status} after ${elapsed}s`);
      if (isFinished(action)) {
        const ms = actionDurationMs(action);
        if (ms !== undefined && action.status === 'completed') this.durations.push(ms);
        this.actions.delete(waiter);
        waiter.resolve(action);
        continue;
      }
      if (now - waiter.waitFrom > waiter.timeoutMs) {
        this.drop(this.actions, waiter, new ActionTimeoutError(action.id, action.status, now - waiter.waitFrom));
        continue;
      }
      waiter.nextLookAt = now + this.delayFor(now - waiter.startedAt, waiter.expectedMs);
    }
    if (hadFleetTiming || fleetExpectedMs(this.durations) === undefined) return;
    // The fleet's first completion times every droplet that had no history: their looks move closer.
    for (const waiter of this.actions) {
      if (waiter.expectedMs !== undefined) continue;
      waiter.nextLookAt = Math.min(waiter.nextLookAt, now + this.delayFor(now - waiter.startedAt, undefined));
    }
  }

  private async namingRound(due: SnapshotWaiter[]): Promise<void> {
    const api = this.options.api();
    const droplets = [...new Set(due.map((w) => w.dropletId))];
    if (namingSource(droplets.length, this.accountPages) === 'account') {
      let listing: Snapshot[];
      try {
        listing = [...byId(await api.listSnapshots({ resourceType: 'droplet' })).values()];
      } catch (error) {
        for (const waiter of due) this.drop(this.namings, waiter, error);
        return;
      }
      this.requests.accountSnapshotPasses++;
      failpoint('watcher.snapshots-listed');
      this.accountPages = Math.max(1, Math.ceil(listing.length / 200));
      for (const waiter of due) {
        const snapshots = listing.filter((s) => s.resource_id === String(waiter.dropletId));
        this.settle(waiter, { source: 'account', snapshots });
      }
      return;
    }
    for (const dropletId of droplets) {
      const waiters = due.filter((w) => w.dropletId === dropletId);
      try {
        const snapshots = [...byId(await api.listDropletSnapshots(dropletId)).values()];
        this.requests.dropletListings++;
        failpoint('watcher.snapshots-listed');
        for (const waiter of waiters) this.settle(waiter, { source: 'droplet', snapshots });
      } catch (error) {
        for (const waiter of waiters) this.drop(this.namings, waiter, error);
      }
    }
  }

  private settle(waiter: SnapshotWaiter, sighting: SnapshotSighting): void {
    if (this.namings.delete(waiter)) waiter.resolve(sighting);
  }

  private drop<T extends { reject(error: unknown): void }>(set: Set<T>, waiter: T, error: unknown): void {
    if (set.delete(waiter)) waiter.reject(error);
  }
}
