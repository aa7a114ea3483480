import type { Json, SagaContext } from '../../engine/types.js';
import { InvalidRetentionPolicyError } from './retention-errors.js';

/**
 * restic's `forget` options, with restic's meaning (ARCHITECTURE.md, "Retention"). Counts are at least 1 when given.
 */
export interface RetentionPolicy {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: RetentionDuration;
  /** An IANA zone for the calendar buckets; UTC when absent. */
  tz?: string;
}

/** restic's calendar duration (`1y2m3w4d5h`, m being months); weeks count as 7 days. */
export interface RetentionDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
}

export type RetentionCount = 'keepLast' | 'keepHourly' | 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly';

/**
 * Each count's saga input. `keep` is keep-last's: sagas written before the other options existed carry only it, and
 * read the same way now.
 */
export const COUNT_INPUTS: readonly { option: RetentionCount; input: string; flag: string }[] = [
  { option: 'keepLast', input: 'keep', flag: '--keep-last' },
  { option: 'keepHourly', input: 'keep_hourly', flag: '--keep-hourly' },
  { option: 'keepDaily', input: 'keep_daily', flag: '--keep-daily' },
  { option: 'keepWeekly', input: 'keep_weekly', flag: '--keep-weekly' },
  { option: 'keepMonthly', input: 'keep_monthly', flag: '--keep-monthly' },
  { option: 'keepYearly', input: 'keep_yearly', flag: '--keep-yearly' },
];
const WITHIN_INPUT = 'keep_within';
const TZ_INPUT = 'tz';
const UNITS = ['y', 'm', 'w', 'd', 'h'] as const;
const UNIT_FIELD = { y: 'years', m: 'months', w: 'weeks', d: 'days', h: 'hours' } as const;

/** Parses `1y2m3w4d5h` (units in any order, each once, at least one non-zero) as restic does, plus `w`. */
export function parseRetentionDuration(text: string, option = '--keep-within'): RetentionDuration {
  const trimmed = text.trim();
  const duration: RetentionDuration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0 };
  const seen = new Set<string>();
  const fail = (reason: string): never => {
    throw new InvalidRetentionPolicyError(option, text, reason);
  };
  if (!/^(\d{1,6}[ymwdh])+$/.test(trimmed)) {
    fail('expected a duration like 7d, 12h, 1y2m3w4d5h (y, m = months, w, d, h)');
  }
  for (const [, digits, unit] of trimmed.matchAll(/(\d+)([ymwdh])/g)) {
    const key = unit as (typeof UNITS)[number];
    if (seen.has(key)) fail(`the unit ${key} is given twice`);
    seen.add(key);
    duration[UNIT_FIELD[key]] = Number(digits);
  }
  if (UNITS.every((unit) => duration[UNIT_FIELD[unit]] === 0)) fail('the duration must not be zero');
  return duration;
}

/** The duration as restic prints it, in the order y m w d h, zero parts left out. */
export function formatRetentionDuration(duration: RetentionDuration): string {
  return UNITS.map((unit) => (duration[UNIT_FIELD[unit]] > 0 ? `${duration[UNIT_FIELD[unit]]}${unit}` : '')).join('');
}

const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

/** An IANA zone Intl knows (`Europe/Paris`, `UTC`); anything else is refused before it reaches a formatter. */
export function validateTimeZone(zone: string, option = '--tz'): string {
  const refuse = (): never => {
    throw new InvalidRetentionPolicyError(option, zone, 'not a time zone this Node.js knows (e.g. UTC, Europe/Paris)');
  };
  if (!ZONE_SHAPE.test(zone)) refuse();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    refuse();
  }
  return zone;
}

export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return COUNT_INPUTS.every(({ option }) => policy[option] === undefined) && policy.keepWithin === undefined;
}

/** The saga inputs that carry a policy to the prune step: flat, so `saga start --input keep_daily=7` works too. */
export function retentionInputs(policy: RetentionPolicy): SagaContext {
  const inputs: SagaContext = {};
  for (const { option, input } of COUNT_INPUTS) {
    const count = policy[option];
    if (count !== undefined) inputs[input] = count;
  }
  if (policy.keepWithin) inputs[WITHIN_INPUT] = formatRetentionDuration(policy.keepWithin);
  if (policy.tz !== undefined) inputs[TZ_INPUT] = policy.tz;
  return inputs;
}

function countInput(input: string, value: Json): number {
  // `saga start --input keep=3` gives a number; a ledger row may carry its digits as text.
  const count = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    const given = JSON.stringify(value);
    throw new InvalidRetentionPolicyError(`input ${input}`, given, 'must be a whole number of at least 1');
  }
  return count;
}

/** Reads the policy back from a saga's inputs; throws InvalidRetentionPolicyError when one is malformed. */
export function retentionPolicyFromInputs(input: (key: string) => Json | undefined): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const { option, input: key } of COUNT_INPUTS) {
    const value = input(key);
    if (value !== undefined && value !== null) policy[option] = countInput(key, value);
  }
  const within = input(WITHIN_INPUT);
  if (within !== undefined && within !== null) {
    policy.keepWithin = parseRetentionDuration(String(within), `input ${WITHIN_INPUT}`);
  }
  const tz = input(TZ_INPUT);
  if (tz !== undefined && tz !== null) policy.tz = validateTimeZone(String(tz), `input ${TZ_INPUT}`);
  if (isEmptyPolicy(policy)) {
    throw new InvalidRetentionPolicyError('inputs', '', 'no retention option (keep, keep_daily, keep_within, ...)');
  }
  return policy;
}

/** The policy as the flags that give it, for the dry run's summary line. */
export function describePolicy(policy: RetentionPolicy): string {
  const parts: string[] = [];
  for (const { option, flag } of COUNT_INPUTS) {
    const count = policy[option];
    if (count !== undefined) parts.push(`${flag} ${count}`);
  }
  if (policy.keepWithin) parts.push(`--keep-within ${formatRetentionDuration(policy.keepWithin)}`);
  if (policy.tz !== undefined) parts.push(`--tz ${policy.tz}`);
  return parts.join(' ');
}
