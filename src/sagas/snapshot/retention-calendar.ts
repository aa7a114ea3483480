import type { RetentionDuration } from './retention-policy.js';

/** Wall-clock fields of an instant in a zone; month 1-12, hour 0-23. */
export interface CalendarFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function calendarFields(instantMs: number, zone: string): CalendarFields {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** ISO 8601 week: Monday starts it, and it belongs to the year of its Thursday (2027-01-01 is in 2026-W53). */
export function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const isoDay = ((new Date(date).getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(date + (4 - isoDay) * 86_400_000);
  const weekYear = thursday.getUTCFullYear();
  const dayOfYear = (thursday.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000;
  return { weekYear, week: Math.floor(dayOfYear / 7) + 1 };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The calendar buckets an instant falls in, labelled as the dry run shows them. */
export type BucketKind = 'hour' | 'day' | 'week' | 'month' | 'year';

export function bucketLabels(instantMs: number, zone: string): Record<BucketKind, string> {
  const f = calendarFields(instantMs, zone);
  const { weekYear, week } = isoWeek(f.year, f.month, f.day);
  const day = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`;
  return {
    hour: `${day} ${pad(f.hour)}`,
    day,
    week: `${pad(weekYear, 4)}-W${pad(week)}`,
    month: `${pad(f.year, 4)}-${pad(f.month)}`,
    year: pad(f.year, 4),
  };
}

/** The instant a wall-clock time names in a zone (for a time a DST change skips or repeats, one of the two). */
function instantOfWallTime(wallMs: number, zone: string): number {
  let instant = wallMs;
  for (let i = 0; i < 3; i += 1) {
    const f = calendarFields(instant, zone);
    const offset = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(instant / 1000) * 1000;
    const next = wallMs - offset;
    if (next === instant) break;
    instant = next;
  }
  return instant;
}

/**
 * The cut-off of `--keep-within`: like restic, years, months and days go back on the zone's calendar (Go's AddDate:
 * Mar 31 minus a month is Mar 3, as Date.UTC normalises too), hours as elapsed time. Kept are those after it.
 */
export function withinCutoff(newestMs: number, duration: RetentionDuration, zone: string): number {
  const f = calendarFields(newestMs, zone);
  const millis = newestMs - Math.floor(newestMs / 1000) * 1000;
  const wall = Date.UTC(
    f.year - duration.years,
    f.month - 1 - duration.months,
    f.day - duration.days - 7 * duration.weeks,
    f.hour,
    f.minute,
    f.second,
    millis,
  );
  return instantOfWallTime(wall, zone) - duration.hours * 3_600_000;
}
