import { parseSnapshotName } from './naming.js';

export interface RetentionCandidate {
  id: string;
  name: string;
  createdAt: string;
  type?: string;
}

/**
 * Which snapshots `--keep n` deletes: only those whose names arcadia made for this droplet (never a backup, never
 * someone else's), the newest n kept counting the one just taken, which is never deleted.
 */
export function snapshotsToPrune(snapshots: RetentionCandidate[], dropletId: number, keep: number, newSnapshotId: string | null): RetentionCandidate[] {
  const ours = snapshots
    .filter((s) => (s.type === undefined || s.type === 'snapshot') && parseSnapshotName(s.name)?.dropletId === dropletId)
    .filter((s) => s.id !== newSnapshotId)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id));
  const keepOlder = newSnapshotId === null ? keep : keep - 1;
  return ours.slice(Math.max(0, keepOlder));
}
