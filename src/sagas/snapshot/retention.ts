import { parseSnapshotName } from './naming.js';
import { bucketLabels, withinCutoff, type BucketKind } from './retention-calendar.js';
import { formatRetentionDuration, type RetentionCount, type RetentionPolicy } from './retention-policy.js';

export interface RetentionCandidate {
  id: string;
  name: string;
  createdAt: string;
  type?: string;
}

export interface RetentionDecision {
  id: string;
  name: string;
  createdAt: string;
  action: 'keep' | 'delete';
  /** Why it is kept (`last 1`, `daily 2026-11-30`, `weekly 2026-W48`, `within 7d`, `newest`); empty for a delete. */
  reasons: string[];
}

export interface RetentionRequest {
  /** The droplet's snapshots as listed; only arcadia's own of this droplet are considered. */
  snapshots: RetentionCandidate[];
  dropletId: number;
  policy: RetentionPolicy;
  /** The snapshot this saga just took, or null when it did not succeed (then nothing is deleted). */
  newSnapshotId: string | null;
}

const BUCKET_RULES: readonly { option: RetentionCount; bucket: BucketKind; word: string }[] = [
  { option: 'keepHourly', bucket: 'hour', word: 'hourly' },
  { option: 'keepDaily', bucket: 'day', word: 'daily' },
  { option: 'keepWeekly', bucket: 'week', word: 'weekly' },
  { option: 'keepMonthly', bucket: 'month', word: 'monthly' },
  { option: 'keepYearly', bucket: 'year', word: 'yearly' },
];

/** Arcadia's own snapshots of this droplet: never a backup, another droplet's, or a name arcadia did not make. */
export function ownSnapshots(snapshots: RetentionCandidate[], dropletId: number): RetentionCandidate[] {
  return snapshots.filter(
    (s) => (s.type === undefined || s.type === 'snapshot') && parseSnapshotName(s.name)?.dropletId === dropletId,
  );
}

const newestFirst = (a: RetentionCandidate, b: RetentionCandidate): number =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id, 'en', { numeric: true });

/**
 * restic's `forget` over arcadia's snapshots of one droplet, newest first: each count option keeps the newest
 * snapshot of each of its newest N calendar buckets (and, like restic, the oldest snapshot too while that option has
 * buckets to spare); `keepWithin` keeps everything after the newest minus the duration; options OR together. Floors
 * restic lacks: the newest and the new snapshot are always kept, and nothing is deleted without a new snapshot.
 */
export function applyRetentionPolicy(request: RetentionRequest): RetentionDecision[] {
  const { policy, newSnapshotId } = request;
  const zone = policy.tz ?? 'UTC';
  const own = ownSnapshots(request.snapshots, request.dropletId);
  // A time that does not parse cannot be put in a bucket: such a snapshot is kept, and walks with no other.
  const unreadable = own.filter((s) => !Number.isFinite(Date.parse(s.createdAt)));
  const ours = own.filter((s) => !unreadable.includes(s)).sort(newestFirst);
  const newest = ours[0];
  const newListed = newSnapshotId !== null && ours.some((s) => s.id === newSnapshotId);
  const cutoff =
    policy.keepWithin && newest ? withinCutoff(Date.parse(newest.createdAt), policy.keepWithin, zone) : null;
  const within = policy.keepWithin ? `within ${formatRetentionDuration(policy.keepWithin)}` : '';
  const left = new Map(BUCKET_RULES.map((rule) => [rule.option, policy[rule.option] ?? 0]));
  const lastBucket = new Map<RetentionCount, string>();
  let lastLeft = policy.keepLast ?? 0;

  const kept = unreadable.map((s): RetentionDecision => ({ ...pick(s), action: 'keep', reasons: ['unreadable time'] }));
  return ours.map((snapshot, index): RetentionDecision => {
    const time = Date.parse(snapshot.createdAt);
    const reasons: string[] = [];
    if (lastLeft > 0) {
      lastLeft -= 1;
      reasons.push(`last ${(policy.keepLast ?? 0) - lastLeft}`);
    }
    const labels = BUCKET_RULES.some((rule) => (left.get(rule.option) ?? 0) > 0) ? bucketLabels(time, zone) : null;
    for (const rule of BUCKET_RULES) {
      const remaining = left.get(rule.option) ?? 0;
      if (remaining <= 0 || !labels) continue;
      const label = labels[rule.bucket];
      const oldest = index === ours.length - 1;
      if (label !== lastBucket.get(rule.option) || oldest) {
        reasons.push(label === lastBucket.get(rule.option) ? `oldest ${rule.word} ${label}` : `${rule.word} ${label}`);
        lastBucket.set(rule.option, label);
        left.set(rule.option, remaining - 1);
      }
    }
    if (cutoff !== null && time > cutoff) reasons.push(within);
    const isFloor = snapshot === newest || snapshot.id === newSnapshotId;
    if (reasons.length === 0 && isFloor) reasons.push('newest');
    if (reasons.length === 0 && !newListed) {
      reasons.push(newSnapshotId === null ? 'no new snapshot' : 'new snapshot not listed');
    }
    const action = reasons.length > 0 ? 'keep' : 'delete';
    return { ...pick(snapshot), action, reasons };
  }).concat(kept);
}

function pick(s: RetentionCandidate): Pick<RetentionDecision, 'id' | 'name' | 'createdAt'> {
  return { id: s.id, name: s.name, createdAt: s.createdAt };
}

export function snapshotsToDelete(decisions: RetentionDecision[]): RetentionDecision[] {
  return decisions.filter((d) => d.action === 'delete');
}
