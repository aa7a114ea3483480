import type { FaultConfig } from './config.js';
import { mulberry32 } from './prng.js';

export interface InjectedError {
  status: number;
  nonJson: boolean;
  retryAfterSeconds?: number;
  /** For the request log. */
  label: string;
}

const BURST_STATUSES = [500, 502, 503, 504] as const;

/**
 * Decides which requests fail and how. One-shot hooks (dropNextPost, failNextRequests, ...) are counted down in the
 * live config, so `configure` can arm them again; rates draw from a PRNG seeded by `faults.seed`.
 */
export class FaultInjector {
  private random: () => number;
  private burstLeft = 0;
  private seed: number;
  injected = 0;

  constructor(private readonly faults: () => FaultConfig) {
    this.seed = faults().seed;
    this.random = mulberry32(this.seed);
  }

  /** Restarts the PRNG when the seed changed, so a run can be replayed from a configure call. */
  syncSeed(): void {
    if (this.faults().seed === this.seed) return;
    this.seed = this.faults().seed;
    this.random = mulberry32(this.seed);
    this.burstLeft = 0;
  }

  private chance(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }

  /** An error to serve instead of handling the request (no effect takes place). */
  beforeHandling(method: string): InjectedError | undefined {
    const faults = this.faults();
    const next = faults.failNextRequests;
    if (next && next.count > 0 && (next.method === undefined || next.method === method)) {
      next.count -= 1;
      this.injected += 1;
      return {
        status: next.status,
        nonJson: next.nonJson ?? false,
        retryAfterSeconds: next.retryAfterSeconds,
        label: `failNextRequests:${next.status}`,
      };
    }
    if (this.burstLeft > 0 || this.chance(faults.serverErrorRate)) {
      if (this.burstLeft > 0) this.burstLeft -= 1;
      else this.burstLeft = Math.max(0, faults.serverErrorBurstLength - 1);
      const status = BURST_STATUSES[Math.floor(this.random() * BURST_STATUSES.length)] ?? 500;
      this.injected += 1;
      return { status, nonJson: status === 502 || status === 504, label: `serverError:${status}` };
    }
    return undefined;
  }

  /** How long to hold the reply back, 0 for not at all. */
  slowReplyMs(): number {
    const faults = this.faults();
    const slow = faults.slowNextRequests;
    if (slow && slow.count > 0) {
      slow.count -= 1;
      this.injected += 1;
      return slow.ms;
    }
    if (this.chance(faults.slowReplyRate)) {
      this.injected += 1;
      return faults.slowReplyMs;
    }
    return 0;
  }

  /**
   * For a write that took effect: lose the reply, answer 500, or neither. Rates apply to creating POSTs only
   * (actions, volume snapshots).
   */
  afterEffect(write: 'action' | 'delete'): 'drop' | 'server_error' | undefined {
    const faults = this.faults();
    let outcome: 'drop' | 'server_error' | undefined;
    if (write === 'delete') {
      if (faults.dropNextDelete <= 0) return undefined;
      faults.dropNextDelete -= 1;
      this.injected += 1;
      return 'drop';
    }
    if (faults.dropNextPost > 0) {
      faults.dropNextPost -= 1;
      outcome = 'drop';
    } else if (faults.serverErrorAfterNextPost > 0) {
      faults.serverErrorAfterNextPost -= 1;
      outcome = 'server_error';
    } else if (this.chance(faults.dropPostReplyRate)) outcome = 'drop';
    else if (this.chance(faults.postServerErrorAfterEffectRate)) outcome = 'server_error';
    if (outcome) this.injected += 1;
    return outcome;
  }

  /** Whether the action being created will end `errored`. */
  actionErrors(): boolean {
    const faults = this.faults();
    if (faults.errorNextActions > 0) {
      faults.errorNextActions -= 1;
      this.injected += 1;
      return true;
    }
    const errored = this.chance(faults.erroredActionRate);
    if (errored) this.injected += 1;
    return errored;
  }

  /**
   * The order one account-wide action listing is served in this time: usually newest first, but DigitalOcean
   * documents no order, so a fault serves some listings shuffled (seeded), and paging through them meets duplicates
   * and gaps.
   */
  shuffledActionListing(): (() => number) | undefined {
    if (!this.chance(this.faults().shuffledActionListingRate)) return undefined;
    this.injected += 1;
    return this.random;
  }
}
