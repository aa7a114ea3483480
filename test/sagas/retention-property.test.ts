import { describe, expect, it } from 'vitest';
import { applyRetentionPolicy, type RetentionCandidate } from '../../src/sagas/snapshot/retention.js';
import { parseRetentionDuration, type RetentionPolicy } from '../../src/sagas/snapshot/retention-policy.js';
import { mulberry32 } from '../../src/simulator/prng.js';

const DROPLET = 7;
const HISTORIES = 400;
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Australia/Lord_Howe'];
const DURATIONS = ['1h', '12h', '1d', '7d', '2w', '1m', '3m1d', '1y', '1y2m3w4d5h'];

interface Random {
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

function random(seed: number): Random {
  const next = mulberry32(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return { int, chance: (p) => next() < p, pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number] };
}

const hex = (n: number): string => (0x10000000 + n).toString(16);

/** Clusters of snapshots over two years (bursts within an hour, then gaps), among names arcadia did not make. */
function randomHistory(r: Random): RetentionCandidate[] {
  const snapshots: RetentionCandidate[] = [];
  let time = Date.UTC(2025, 0, 1) + r.int(0, 86_400_000);
  const count = r.int(0, 60);
  for (let i = 0; i < count; i += 1) {
    time += r.chance(0.3) ? r.int(0, 3_600_000) : r.int(3_600_000, 40 * 86_400_000);
    const createdAt = new Date(time).toISOString();
    const kind = r.int(0, 9);
    const id = String(1000 + i);
    if (kind <= 5) snapshots.push({ id, name: `arcadia-snap-${DROPLET}-${hex(i)}`, createdAt, type: 'snapshot' });
    else if (kind === 6)
      snapshots.push({ id, name: `arcadia-snap-${DROPLET + 1}-${hex(i)}`, createdAt, type: 'snapshot' });
    else if (kind === 7) snapshots.push({ id, name: `arcadia-snap-${DROPLET}-${hex(i)}`, createdAt, type: 'backup' });
    else if (kind === 8) snapshots.push({ id, name: `web-${i}-before-upgrade`, createdAt, type: 'snapshot' });
    else snapshots.push({ id, name: `arcadia-snap-${DROPLET}-${hex(i)}-Not Ours`, createdAt, type: 'snapshot' });
  }
  return snapshots;
}

function randomPolicy(r: Random): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const option of ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const) {
    if (r.chance(0.35)) policy[option] = r.int(1, 12);
  }
  if (r.chance(0.3)) policy.keepWithin = parseRetentionDuration(r.pick(DURATIONS));
  if (Object.keys(policy).length === 0) policy.keepLast = r.int(1, 5);
  if (r.chance(0.5)) policy.tz = r.pick(ZONES);
  return policy;
}

const isOurs = (s: RetentionCandidate): boolean => s.type === 'snapshot' && /^arcadia-snap-7-[0-9a-f]{8}$/.test(s.name);

describe('retention over random histories (seeded)', () => {
  it(`never deletes outside arcadia's own snapshots of the droplet, the newest, or without a new snapshot`, () => {
    for (let seed = 1; seed <= HISTORIES; seed += 1) {
      const r = random(seed);
      const snapshots = randomHistory(r);
      const policy = randomPolicy(r);
      const ours = snapshots.filter(isOurs);
      const outcome = r.int(0, 5);
      // Mostly the newest; sometimes an older one, as a skewed clock would make it; or none, or one not listed yet.
      const taken = outcome === 2 && ours.length > 0 ? r.pick(ours) : ours.at(-1);
      const newId = outcome === 0 ? null : outcome === 1 ? 'never-listed' : (taken?.id ?? null);
      const decisions = applyRetentionPolicy({ snapshots, dropletId: DROPLET, policy, newSnapshotId: newId });
      const where = `seed ${seed}, policy ${JSON.stringify(policy)}, new ${newId}`;

      expect(decisions.map((d) => d.id).sort(), where).toEqual(ours.map((s) => s.id).sort());
      const deleted = decisions.filter((d) => d.action === 'delete');
      const newestTime = Math.max(...ours.map((s) => Date.parse(s.createdAt)));
      for (const d of deleted) {
        expect(Date.parse(d.createdAt), where).toBeLessThan(newestTime);
        expect(d.id, where).not.toBe(newId);
        expect(d.reasons, where).toEqual([]);
      }
      for (const d of decisions.filter((x) => x.action === 'keep')) expect(d.reasons.length, where).toBeGreaterThan(0);
      if (newId === null || newId === 'never-listed') expect(deleted, where).toEqual([]);

      // A crash after some deletes: run again on what is left, it deletes exactly the rest, and then nothing.
      const gone = new Set(deleted.slice(0, r.int(0, deleted.length)).map((d) => d.id));
      const again = applyRetentionPolicy({
        snapshots: snapshots.filter((s) => !gone.has(s.id)),
        dropletId: DROPLET,
        policy,
        newSnapshotId: newId,
      });
      const rest = deleted.filter((d) => !gone.has(d.id)).map((d) => d.id);
      expect(
        again.filter((d) => d.action === 'delete').map((d) => d.id),
        where,
      ).toEqual(rest);
    }
  });
});
