import type { SucceededSnapshot } from '../db/monitoring-facts.js';

/** Nagios plugin states, in the order they worsen (UNKNOWN is for the check failing, not for a droplet). */
export type FreshnessState = 'OK' | 'WARNING' | 'CRITICAL';

export interface DropletFreshness {
  dropletId: number;
  dropletName: string;
  state: FreshnessState;
  /** Age of the newest successful snapshot in whole seconds; null when there never was one. */
  ageSeconds: number | null;
  lastSuccessAt: number | null;
  snapshotId: string | null;
  sagaId: string | null;
}

export interface FreshnessReport {
  state: FreshnessState;
  warnSeconds: number;
  critSeconds: number;
  droplets: DropletFreshness[];
}

const RANK: Record<FreshnessState, number> = { OK: 0, WARNING: 1, CRITICAL: 2 };

/**
 * Each droplet's state from the age of its newest successful snapshot: a droplet that never had one is CRITICAL,
 * as an alert must not wait for a first success that may never come. An age equal to a threshold crosses it.
 */
export function assessFreshness(
  droplets: { id: number; name?: string }[],
  succeeded: SucceededSnapshot[],
  now: number,
  thresholds: { warnSeconds: number; critSeconds: number },
): FreshnessReport {
  const newest = new Map<number, SucceededSnapshot>();
  for (const snapshot of succeeded) {
    const known = newest.get(snapshot.dropletId);
    if (!known || snapshot.finishedAt > known.finishedAt) newest.set(snapshot.dropletId, snapshot);
  }
  const assessed = droplets.map(({ id, name }): DropletFreshness => {
    const last = newest.get(id);
    if (!last) {
      const base = { dropletId: id, dropletName: name ?? '', ageSeconds: null, lastSuccessAt: null };
      return { ...base, state: 'CRITICAL', snapshotId: null, sagaId: null };
    }
    const ageSeconds = Math.max(0, Math.floor((now - last.finishedAt) / 1000));
    const state: FreshnessState =
      ageSeconds >= thresholds.critSeconds ? 'CRITICAL' : ageSeconds >= thresholds.warnSeconds ? 'WARNING' : 'OK';
    return {
      dropletId: id,
      dropletName: name ?? last.dropletName,
      state,
      ageSeconds,
      lastSuccessAt: last.finishedAt,
      snapshotId: last.snapshotId,
      sagaId: last.sagaId,
    };
  });
  const worst = assessed.reduce<FreshnessState>((w, d) => (RANK[d.state] > RANK[w] ? d.state : w), 'OK');
  return { state: worst, ...thresholds, droplets: assessed };
}

/** The droplets the ledger has succeeded snapshots of, for `arcadia check` given neither ids nor a tag. */
export function dropletsInLedger(succeeded: SucceededSnapshot[]): { id: number; name: string }[] {
  const seen = new Map<number, string>();
  for (const s of succeeded) if (!seen.has(s.dropletId)) seen.set(s.dropletId, s.dropletName);
  return [...seen].map(([id, name]) => ({ id, name })).sort((a, b) => a.id - b.id);
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `26h`, `90m`, `1d12h`, `3600s`: a threshold in whole seconds, or undefined when the text is not one. */
export function parseThreshold(text: string): number | undefined {
  if (!/^(\d+[smhdw])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([smhdw])/g)) total += Number(count) * (UNITS[unit ?? ''] ?? 0);
  return Number.isSafeInteger(total) && total > 0 ? total : undefined;
}

/** A short age for the summary line: 45s, 12m, 2h, 3d. */
export function shortAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
