import { describe, expect, it } from 'vitest';
import { applyRetentionPolicy, type RetentionCandidate } from '../../src/sagas/snapshot/retention.js';
import { isoWeek } from '../../src/sagas/snapshot/retention-calendar.js';
import {
  parseRetentionDuration,
  retentionInputs,
  retentionPolicyFromInputs,
  validateTimeZone,
  type RetentionPolicy,
} from '../../src/sagas/snapshot/retention-policy.js';

const DROPLET = 7;

/** A history of arcadia snapshots of droplet 7: `key` names each in the expectations, `at` is its created_at. */
function history(entries: Record<string, string>): RetentionCandidate[] {
  return Object.entries(entries).map(([key, at], i) => ({
    id: key,
    name: `arcadia-snap-${DROPLET}-${(0xa0000000 + i).toString(16)}`,
    createdAt: at,
    type: 'snapshot',
  }));
}

function decide(snapshots: RetentionCandidate[], policy: RetentionPolicy, newId = snapshots[0]?.id ?? null) {
  return applyRetentionPolicy({ snapshots, dropletId: DROPLET, policy, newSnapshotId: newId });
}

function keptKeys(snapshots: RetentionCandidate[], policy: RetentionPolicy): string[] {
  return decide(snapshots, policy)
    .filter((d) => d.action === 'keep')
    .map((d) => d.id)
    .sort();
}

function reasonsByKey(snapshots: RetentionCandidate[], policy: RetentionPolicy): Record<string, string[]> {
  return Object.fromEntries(decide(snapshots, policy).map((d) => [d.id, d.reasons]));
}

// Several a day, a gap on the 28th; in Paris (UTC+1) c falls on the 30th, in New York (UTC-5) d on the 28th.
const DAYS = history({
  a: '2026-11-30T22:00:00Z',
  b: '2026-11-30T10:00:00Z',
  c: '2026-11-29T23:30:00Z',
  d: '2026-11-29T01:00:00Z',
  e: '2026-11-27T12:00:00Z',
  f: '2026-11-26T12:00:00Z',
});

// Around the ISO week-year edge: 2026-12-28 (Mon) to 2027-01-03 (Sun) is 2026-W53; 2027-01-04 starts 2027-W01.
const NEW_YEAR = history({
  w1: '2027-01-04T09:00:00Z',
  w2: '2027-01-03T09:00:00Z',
  w3: '2027-01-01T09:00:00Z',
  w4: '2026-12-31T09:00:00Z',
  w5: '2026-12-27T09:00:00Z',
  w6: '2026-12-20T09:00:00Z',
});

const AUCKLAND = history({ x1: '2027-01-04T09:00:00Z', x2: '2027-01-03T12:00:00Z', x3: '2027-01-02T09:00:00Z' });

// About monthly over a year, with gaps (September; April to June) and two in July and in December 2025.
const YEAR = history({
  A: '2026-11-15T03:00:00Z',
  B: '2026-11-01T03:00:00Z',
  C: '2026-10-20T03:00:00Z',
  D: '2026-08-05T03:00:00Z',
  E: '2026-07-31T03:00:00Z',
  F: '2026-07-01T03:00:00Z',
  G: '2026-03-10T03:00:00Z',
  H: '2025-12-25T03:00:00Z',
  I: '2025-12-01T03:00:00Z',
});

const HOURS = history({
  h1: '2026-11-30T14:50:00Z',
  h2: '2026-11-30T14:10:00Z',
  h3: '2026-11-30T13:59:00Z',
  h4: '2026-11-30T12:00:00Z',
  h5: '2026-11-30T09:30:00Z',
});

// The newest is in June: --keep-within counts back from it, whatever the date the test runs.
const JUNE = history({
  n1: '2026-06-10T12:00:00Z',
  n2: '2026-06-05T12:00:00Z',
  n3: '2026-06-03T12:00:01Z',
  n4: '2026-06-03T12:00:00Z',
  n5: '2026-05-01T00:00:00Z',
});

// Expected sets worked out by hand from restic's rules (newest first, one per bucket, N buckets with a snapshot).
const CASES: { name: string; snapshots: RetentionCandidate[]; policy: RetentionPolicy; kept: string[] }[] = [
  {
    name: 'daily 3, UTC: newest of each day, the empty 28th not counted',
    snapshots: DAYS,
    policy: { keepDaily: 3 },
    kept: ['a', 'c', 'e'],
  },
  {
    name: 'daily 3, Europe/Paris: c is on the 30th there',
    snapshots: DAYS,
    policy: { keepDaily: 3, tz: 'Europe/Paris' },
    kept: ['a', 'd', 'e'],
  },
  {
    name: 'daily 3, America/New_York: d is on the 28th there',
    snapshots: DAYS,
    policy: { keepDaily: 3, tz: 'America/New_York' },
    kept: ['a', 'c', 'd'],
  },
  {
    name: 'daily 10 with only 4 days that have one: each of them',
    snapshots: DAYS,
    policy: { keepDaily: 10 },
    kept: ['a', 'c', 'e', 'f'],
  },
  {
    name: 'weekly 3 over the ISO week-year edge',
    snapshots: NEW_YEAR,
    policy: { keepWeekly: 3 },
    kept: ['w1', 'w2', 'w5'],
  },
  {
    name: 'yearly 2 uses the calendar year, not the ISO week-year',
    snapshots: NEW_YEAR,
    policy: { keepYearly: 2 },
    kept: ['w1', 'w4'],
  },
  { name: 'monthly 2 across the new year', snapshots: NEW_YEAR, policy: { keepMonthly: 2 }, kept: ['w1', 'w4'] },
  {
    name: 'weekly 2, UTC: x2 (Sunday) ends 2026-W53',
    snapshots: AUCKLAND,
    policy: { keepWeekly: 2 },
    kept: ['x1', 'x2'],
  },
  {
    name: 'weekly 2, Pacific/Auckland (+13): x2 is Monday 01:00 there, in 2027-W01',
    snapshots: AUCKLAND,
    policy: { keepWeekly: 2, tz: 'Pacific/Auckland' },
    kept: ['x1', 'x3'],
  },
  {
    name: 'monthly 6 over a year with gaps',
    snapshots: YEAR,
    policy: { keepMonthly: 6 },
    kept: ['A', 'C', 'D', 'E', 'G', 'H'],
  },
  {
    name: 'monthly 8: two to spare, so the oldest is kept too',
    snapshots: YEAR,
    policy: { keepMonthly: 8 },
    kept: ['A', 'C', 'D', 'E', 'G', 'H', 'I'],
  },
  { name: 'yearly 2', snapshots: YEAR, policy: { keepYearly: 2 }, kept: ['A', 'H'] },
  {
    name: 'last 2 OR monthly 3 OR yearly 2',
    snapshots: YEAR,
    policy: { keepLast: 2, keepMonthly: 3, keepYearly: 2 },
    kept: ['A', 'B', 'C', 'D', 'H'],
  },
  { name: 'last 4', snapshots: YEAR, policy: { keepLast: 4 }, kept: ['A', 'B', 'C', 'D'] },
  { name: 'hourly 3, UTC', snapshots: HOURS, policy: { keepHourly: 3 }, kept: ['h1', 'h3', 'h4'] },
  {
    name: 'hourly 3, Asia/Kolkata (+05:30) moves the hour boundaries',
    snapshots: HOURS,
    policy: { keepHourly: 3, tz: 'Asia/Kolkata' },
    kept: ['h1', 'h2', 'h4'],
  },
  {
    name: 'within 7d of the newest (not of now); exactly 7d is out',
    snapshots: JUNE,
    policy: { keepWithin: parseRetentionDuration('7d') },
    kept: ['n1', 'n2', 'n3'],
  },
  {
    name: 'within 1w is within 7d',
    snapshots: JUNE,
    policy: { keepWithin: parseRetentionDuration('1w') },
    kept: ['n1', 'n2', 'n3'],
  },
  {
    name: 'within 6d23h',
    snapshots: JUNE,
    policy: { keepWithin: parseRetentionDuration('6d23h') },
    kept: ['n1', 'n2'],
  },
  {
    name: 'within 2m',
    snapshots: JUNE,
    policy: { keepWithin: parseRetentionDuration('2m') },
    kept: ['n1', 'n2', 'n3', 'n4', 'n5'],
  },
  {
    name: 'within 1y2m3w4d5h keeps the year',
    snapshots: YEAR,
    policy: { keepWithin: parseRetentionDuration('1y2m3w4d5h') },
    kept: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'],
  },
  {
    name: 'within 4m OR daily 1',
    snapshots: YEAR,
    policy: { keepWithin: parseRetentionDuration('4m'), keepDaily: 1 },
    kept: ['A', 'B', 'C', 'D', 'E'],
  },
  {
    name: 'within 1m from Mar 31 goes back to Mar 3 (Feb 31 rolls over, as in Go)',
    snapshots: history({
      m1: '2026-03-31T10:00:00Z',
      m2: '2026-03-03T10:00:01Z',
      m3: '2026-03-03T09:59:59Z',
      m4: '2026-03-01T12:00:00Z',
    }),
    policy: { keepWithin: parseRetentionDuration('1m') },
    kept: ['m1', 'm2'],
  },
  {
    name: 'within 2d over the end of summer time: Paris calendar days, not 48 h',
    snapshots: history({ p1: '2026-10-26T12:00:00Z', p2: '2026-10-24T11:30:00Z', p3: '2026-10-24T10:59:00Z' }),
    policy: { keepWithin: parseRetentionDuration('2d'), tz: 'Europe/Paris' },
    kept: ['p1', 'p2'],
  },
  {
    name: 'the same within 2d in UTC is 48 h',
    snapshots: history({ p1: '2026-10-26T12:00:00Z', p2: '2026-10-24T11:30:00Z', p3: '2026-10-24T10:59:00Z' }),
    policy: { keepWithin: parseRetentionDuration('2d') },
    kept: ['p1'],
  },
];

describe("retention policy: the kept set is restic's", () => {
  it.each(CASES)('$name', ({ snapshots, policy, kept }) => {
    expect(keptKeys(snapshots, policy)).toEqual([...kept].sort());
  });

  it('names every reason, as the dry run shows them', () => {
    expect(reasonsByKey(YEAR, { keepLast: 2, keepMonthly: 3, keepYearly: 2 })).toEqual({
      A: ['last 1', 'monthly 2026-11', 'yearly 2026'],
      B: ['last 2'],
      C: ['monthly 2026-10'],
      D: ['monthly 2026-08'],
      E: [],
      F: [],
      G: [],
      H: ['yearly 2025'],
      I: [],
    });
    expect(reasonsByKey(HOURS, { keepHourly: 1 }).h1).toEqual(['hourly 2026-11-30 14']);
    expect(reasonsByKey(DAYS, { keepDaily: 10 }).f).toEqual(['daily 2026-11-26']);
    expect(reasonsByKey(YEAR, { keepMonthly: 8 }).I).toEqual(['oldest monthly 2025-12']);
    const weekly = { w1: ['weekly 2027-W01'], w2: ['weekly 2026-W53'] };
    expect(reasonsByKey(NEW_YEAR, { keepWeekly: 2 })).toMatchObject(weekly);
    expect(reasonsByKey(JUNE, { keepWithin: parseRetentionDuration('7d') }).n2).toEqual(['within 7d']);
  });

  it('puts Sunday 2026-11-29 in W48 and Monday 2026-11-30 in W49, and 2027-01-01 in 2026-W53', () => {
    expect(isoWeek(2026, 11, 29)).toEqual({ weekYear: 2026, week: 48 });
    expect(isoWeek(2026, 11, 30)).toEqual({ weekYear: 2026, week: 49 });
    expect(isoWeek(2026, 12, 31)).toEqual({ weekYear: 2026, week: 53 });
    expect(isoWeek(2027, 1, 1)).toEqual({ weekYear: 2026, week: 53 });
    expect(isoWeek(2027, 1, 4)).toEqual({ weekYear: 2027, week: 1 });
    expect(isoWeek(2025, 12, 29)).toEqual({ weekYear: 2026, week: 1 });
  });
});

describe('retention floors', () => {
  it('deletes nothing when the new snapshot did not succeed, or is not listed', () => {
    for (const newId of [null, 'not-listed']) {
      const decisions = decide(YEAR, { keepLast: 1 }, newId);
      expect(decisions.map((d) => d.action)).toEqual(YEAR.map(() => 'keep'));
    }
  });

  it('keeps the new snapshot and the newest even when no option keeps them', () => {
    const times = { newest: '2026-11-30T00:00:00Z', older: '2026-11-29T00:00:00Z', fresh: '2026-11-01T00:00:00Z' };
    const skewed = history(times);
    const byKey = Object.fromEntries(decide(skewed, { keepDaily: 1 }, 'fresh').map((d) => [d.id, d]));
    expect(byKey.newest?.reasons).toEqual(['daily 2026-11-30']);
    expect(byKey.fresh).toMatchObject({ action: 'keep', reasons: ['newest'] });
    expect(byKey.older?.action).toBe('delete');
  });

  it('considers only arcadia snapshots of this droplet', () => {
    const listing: RetentionCandidate[] = [
      ...YEAR,
      { id: 'foreign', name: 'web-1-before-upgrade', createdAt: '2020-01-01T00:00:00Z', type: 'snapshot' },
      { id: 'other-droplet', name: 'arcadia-snap-8-aaaaaaaa', createdAt: '2020-01-01T00:00:00Z', type: 'snapshot' },
      { id: 'backup', name: 'arcadia-snap-7-bbbbbbbb', createdAt: '2020-01-01T00:00:00Z', type: 'backup' },
    ];
    const ids = decide(listing, { keepLast: 1 }, 'A').map((d) => d.id);
    expect(ids).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I']);
  });

  it('keeps a snapshot whose time does not parse, and buckets the rest without it', () => {
    const listing = [...DAYS, { id: 'odd', name: 'arcadia-snap-7-cccccccc', createdAt: 'yesterday', type: 'snapshot' }];
    const byKey = Object.fromEntries(decide(listing, { keepDaily: 3 }).map((d) => [d.id, d.action]));
    const [keep, del] = ['keep', 'delete'];
    expect(byKey).toEqual({ a: keep, b: del, c: keep, d: del, e: keep, f: del, odd: keep });
  });
});

describe('retention options', () => {
  it('parses restic durations, with w as 7 days', () => {
    expect(parseRetentionDuration('1y2m3w4d5h')).toEqual({ years: 1, months: 2, weeks: 3, days: 4, hours: 5 });
    expect(parseRetentionDuration('5h1y')).toEqual({ years: 1, months: 0, weeks: 0, days: 0, hours: 5 });
    for (const bad of ['', '7', 'd', '7x', '1d1d', '0d', '-1d', '1.5d', '7 d', '1d;rm']) {
      expect(() => parseRetentionDuration(bad), bad).toThrow(/--keep-within/);
    }
  });

  it('knows IANA zones and refuses others', () => {
    expect(validateTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(validateTimeZone('UTC')).toBe('UTC');
    for (const bad of ['Mars/Olympus', 'Europe/Pariss', '', '../etc', 'x'.repeat(80)]) {
      expect(() => validateTimeZone(bad), bad).toThrow(/--tz/);
    }
  });

  it("round-trips through saga inputs, and reads a previous version's `keep` alone as keep-last", () => {
    const policy: RetentionPolicy = {
      keepLast: 2,
      keepDaily: 7,
      keepWeekly: 4,
      keepWithin: parseRetentionDuration('3d12h'),
      tz: 'Europe/Paris',
    };
    const inputs = retentionInputs(policy);
    expect(inputs).toEqual({ keep: 2, keep_daily: 7, keep_weekly: 4, keep_within: '3d12h', tz: 'Europe/Paris' });
    expect(retentionPolicyFromInputs((key) => inputs[key])).toEqual(policy);
    const legacy: Record<string, number> = { droplet_provider_id: 1001, keep: 3 };
    expect(retentionPolicyFromInputs((key) => legacy[key])).toEqual({ keepLast: 3 });
    expect(() => retentionPolicyFromInputs(() => undefined)).toThrow(/no retention option/);
    expect(() => retentionPolicyFromInputs((key) => (key === 'keep' ? 0 : undefined))).toThrow(/input keep/);
  });
});
