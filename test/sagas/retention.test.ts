import { describe, expect, it } from 'vitest';
import { parseSnapshotName, snapshotName, validateLabel } from '../../src/sagas/snapshot/naming.js';
import {
  applyRetentionPolicy,
  snapshotsToDelete,
  type RetentionCandidate,
} from '../../src/sagas/snapshot/retention.js';

const SAGA = '3f2a9c1e-0000-4000-8000-000000000000';

describe('snapshot names', () => {
  it('are deterministic per saga and carry the droplet id and 8 hex of the saga id', () => {
    expect(snapshotName(123, SAGA)).toBe('arcadia-snap-123-3f2a9c1e');
    expect(snapshotName(123, SAGA, 'nightly')).toBe('arcadia-snap-123-3f2a9c1e-nightly');
    expect(snapshotName(123, '00000000-1111-4000-8000-000000000000')).not.toBe(snapshotName(123, SAGA));
  });

  it('parse back, and nothing else parses', () => {
    expect(parseSnapshotName('arcadia-snap-123-3f2a9c1e-nightly')).toEqual({
      dropletId: 123,
      sagaPrefix: '3f2a9c1e',
      label: 'nightly',
    });
    for (const other of [
      'web-01-1595954862243',
      'arcadia-snap-123',
      'arcadia-snap-x-3f2a9c1e',
      'my-arcadia-snap-1-3f2a9c1e',
      'arcadia-snap-1-3f2a9c1e-Bad Label',
    ]) {
      expect(parseSnapshotName(other)).toBeUndefined();
    }
  });

  it('refuse labels with shell or control characters', () => {
    expect(validateLabel('before-upgrade.2')).toBe('before-upgrade.2');
    for (const bad of [
      '$(rm -rf /)',
      'a;b',
      'a b',
      'x\u001b[31m',
      '',
      '-lead',
      'A'.repeat(3),
      'a'.repeat(41),
      'tab\there',
    ]) {
      expect(() => validateLabel(bad)).toThrow(/--label/);
    }
  });
});

function snap(id: string, name: string, day: number, type = 'snapshot'): RetentionCandidate {
  return { id, name, createdAt: `2026-11-${String(day).padStart(2, '0')}T03:00:00Z`, type };
}

function snapshotsToPrune(
  listing: RetentionCandidate[],
  dropletId: number,
  keep: number,
  newId: string,
): RetentionCandidate[] {
  const decisions = applyRetentionPolicy({
    snapshots: listing,
    dropletId,
    policy: { keepLast: keep },
    newSnapshotId: newId,
  });
  return snapshotsToDelete(decisions);
}

describe('--keep-last (--keep)', () => {
  const ours = (id: string, day: number): RetentionCandidate => snap(id, `arcadia-snap-7-${id.padStart(8, 'a')}`, day);
  const listing = [
    ours('1', 1),
    ours('2', 2),
    ours('3', 3),
    ours('4', 4),
    snap('50', 'web-01-manual', 1),
    snap('51', 'arcadia-snap-8-aaaaaaaa', 1), // another droplet's
    snap('52', 'arcadia-snap-7-aaaaaaa9', 1, 'backup'),
    ours('9', 9), // the one just taken
  ];

  it('keeps the newest n counting the new snapshot, and deletes only older arcadia snapshots of this droplet', () => {
    expect(snapshotsToPrune(listing, 7, 3, '9').map((s) => s.id)).toEqual(['2', '1']);
    expect(snapshotsToPrune(listing, 7, 1, '9').map((s) => s.id)).toEqual(['4', '3', '2', '1']);
    expect(snapshotsToPrune(listing, 7, 10, '9')).toEqual([]);
  });

  it('never deletes the new snapshot even when it is not the newest by time, nor the newest by time', () => {
    const skewed = [...listing.filter((s) => s.id !== '9'), { ...ours('9', 1), createdAt: '2026-10-31T03:00:00Z' }];
    const doomed = snapshotsToPrune(skewed, 7, 1, '9').map((s) => s.id);
    expect(doomed).not.toContain('9');
    expect(doomed).toEqual(['3', '2', '1']);
  });
});
