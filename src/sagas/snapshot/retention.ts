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
  /** Which snapshots are arcadia's own; default: droplet snapshots named for `dropletId` (volume snapshots differ). */
  isOwn?: (snapshot: RetentionCandidate) => boolean;
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
 * The count options' walk, fed snapshots newest first: keep-last keeps the first N; each calendar option keeps a
 * snapshot whose bucket differs from the last one it kept, until N are kept, and (restic's rule) the oldest snapshot
 * too while it has some left.
 */
function countWalk(policy: RetentionPolicy, zone: string, total: number): (time: number, index: number) => string[] {
  const left = new Map(BUCKET_RULES.map((rule) => [rule.option, policy[rule.option] ?? 0]));
  const lastBucket = new Map<RetentionCount, string>();
  const keepLast = policy.keepLast ?? 0;
  return (time, index) => {
    const reasons = index < keepLast ? [`last ${index + 1}`] : [];
    const rules = BUCKET_RULES.filter((rule) => (left.get(rule.option) ?? 0) > 0);
    const labels = rules.length > 0 ? bucketLabels(time, zone) : null;
    for (const rule of rules) {
      const label = labels?.[rule.bucket] ?? '';
      const sameBucket = label === lastBucket.get(rule.option);
      if (sameBucket && index !== total - 1) continue;
      reasons.push(`${sameBucket ? 'oldest ' : ''}${rule.word} ${label}`);
      lastBucket.set(rule.option, label);
      left.set(rule.option, (left.get(rule.option) ?? 0) - 1);
    }
    return reasons;
  };
}

/**
 * restic's `forget` over arcadia's snapshots of one droplet, newest first: the count options of countWalk, and
 * `keepWithin` keeping everything after the newest minus the duration; options OR together. Floors restic lacks:
 * the newest and the new snapshot are always kept, and nothing is deleted without a listed new snapshot.
 */
export function applyRetentionPolicy(request: RetentionRequest): RetentionDecision[] {
  const { policy, newSnapshotId } = request;
  const zone = policy.tz ?? 'UTC';
  const own = request.isOwn
    ? request.snapshots.filter(request.isOwn)
    : ownSnapshots(request.snapshots, request.dropletId);
  // A time that does not parse cannot be put in a bucket: such a snapshot is kept, and walks with no other.
  const unreadable = own.filter((s) => !Number.isFinite(Date.parse(s.createdAt)));
  const ours = own.filter((s) => !unreadable.includes(s)).sort(newestFirst);
  const newest = ours[0];
  const newListed = newSnapshotId !== null && ours.some((s) => s.id === newSnapshotId);
  const cutoff =
    policy.keepWithin && newest ? withinCutoff(Date.parse(newest.createdAt), policy.keepWithin, zone) : null;
  const within = policy.keepWithin ? `within ${formatRetentionDuration(policy.keepWithin)}` : '';
  const counts = countWalk(policy, zone, ours.length);

  const decisions = ours.map((snapshot, index): RetentionDecision => {
    const time = Date.parse(snapshot.createdAt);
    const reasons = counts(time, index);
    if (cutoff !== null && time > cutoff) reasons.push(within);
    const isFloor = snapshot === newest || snapshot.id === newSnapshotId;
    if (reasons.length === 0 && isFloor) reasons.push('newest');
    if (reasons.length === 0 && !newListed) {
      reasons.push(newSnapshotId === null ? 'no new snapshot' : 'new snapshot not listed');
    }
    return { ...pick(snapshot), action: reasons.length > 0 ? 'keep' : 'delete', reasons };
  });
  const unreadableKept = unreadable.map((s): RetentionDecision => ({
    ...pick(s),
    action: 'keep',
    reasons: ['unreadable time'],
  }));
  return [...decisions, ...unreadableKept];
}

export function snapshotsToDelete(decisions: RetentionDecision[]): RetentionDecision[] {
  return decisions.filter((d) => d.action === 'delete');
}

function pick(s: RetentionCandidate): Pick<RetentionDecision, 'id' | 'name' | 'createdAt'> {
  return { id: s.id, name: s.name, createdAt: s.createdAt };
}
