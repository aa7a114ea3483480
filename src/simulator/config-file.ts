import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { type DEFAULT_FAULTS, defaultSimulatorConfig, type SimulatorConfigInput } from './config.js';

type Check = (value: unknown) => string | undefined;

const nonNegative: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a number of at least 0';
const rate: Check = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a rate between 0 and 1');
const limit: Check = (v) =>
  v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1)
    ? undefined
    : 'null or a whole number of at least 1';
const strings: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '') ? undefined : 'an array of non-empty strings';
const objectOrNull: Check = (v) =>
  v === null || (typeof v === 'object' && !Array.isArray(v)) ? undefined : 'an object or null';
const urlOrNull: Check = (v) =>
  v === null || (typeof v === 'string' && URL.canParse(v)) ? undefined : 'null or an absolute URL';
const droplets: Check = (v) =>
  Array.isArray(v) &&
  v.every(
    (d) =>
      typeof d === 'object' &&
      d !== null &&
      Number.isSafeInteger((d as { id?: unknown }).id) &&
      ((d as { id: number }).id ?? 0) >= 1,
  )
    ? undefined
    : 'an array of droplets, each with a whole-number id';
const fleetItem = (f: unknown): boolean =>
  typeof f === 'object' &&
  f !== null &&
  Number.isSafeInteger((f as { count?: unknown }).count) &&
  typeof (f as { tag?: unknown }).tag === 'string';
const fleet: Check = (v) =>
  v === null || fleetItem(v) || (Array.isArray(v) && v.every(fleetItem))
    ? undefined
    : 'null, or a {count, tag} object or an array of them';

const port: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535
    ? undefined
    : 'a port number (0 for any free one)';

const TOP_LEVEL: Record<string, Check> = {
  port,
  tokens: strings,
  readOnlyTokens: strings,
  droplets,
  fleet,
  actionDurationMs: objectOrNull,
  snapshotMsPerGb: nonNegative,
  actionJitterMs: nonNegative,
  snapshotListingLagMs: nonNegative,
  deletedListingLingerMs: nonNegative,
  unlockLagMs: nonNegative,
  powerStatusLagMs: nonNegative,
  shutdownIgnoredRate: rate,
  rateLimitPerMinute: limit,
  rateLimitPerHour: limit,
  faults: objectOrNull,
  volumeSnapshotsPerVolume: nonNegative,
  volumeSnapshotIntervalMs: nonNegative,
  volumeLimitStatus: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599 ? undefined : 'an HTTP error status',
  imageActionDurationMs: objectOrNull,
  dropletCreateMs: nonNegative,
  createdDropletNotFoundMs: nonNegative,
  deletedDropletLingerMs: nonNegative,
  linkBaseUrl: urlOrNull,
  requestLogLimit: nonNegative,
};

const FAULTS: Record<keyof typeof DEFAULT_FAULTS, Check> = {
  seed: nonNegative,
  serverErrorRate: rate,
  serverErrorBurstLength: nonNegative,
  slowReplyRate: rate,
  slowReplyMs: nonNegative,
  dropPostReplyRate: rate,
  postServerErrorAfterEffectRate: rate,
  erroredActionRate: rate,
  shuffledActionListingRate: rate,
  dropNextPost: nonNegative,
  dropNextDelete: nonNegative,
  serverErrorAfterNextPost: nonNegative,
  errorNextActions: nonNegative,
  failNextRequests: objectOrNull,
  slowNextRequests: objectOrNull,
};

function checkObject(where: string, value: Record<string, unknown>, checks: Record<string, Check>): string | undefined {
  for (const [key, item] of Object.entries(value)) {
    const check = checks[key];
    if (!check) return `${where}${key} is not a known setting (known: ${Object.keys(checks).join(', ')})`;
    const problem = check(item);
    if (problem) return `${where}${key} must be ${problem}`;
  }
  return undefined;
}

/** Checks a parsed config; returns what is wrong, or undefined. */
export function simulatorConfigProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the file must hold a JSON object';
  const record = value as Record<string, unknown>;
  const durations = Object.fromEntries(
    Object.keys(defaultSimulatorConfig().actionDurationMs).map((k) => [k, nonNegative]),
  );
  return (
    checkObject('', record, TOP_LEVEL) ??
    (record.actionDurationMs
      ? checkObject('actionDurationMs.', record.actionDurationMs as Record<string, unknown>, durations)
      : undefined) ??
    (record.faults ? checkObject('faults.', record.faults as Record<string, unknown>, FAULTS) : undefined)
  );
}

/** A simulator config from a JSON file: any subset of SimulatorConfig (except the clock); the rest is defaulted. */
export function loadSimulatorConfig(path: string): SimulatorConfigInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `cannot read simulator config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const problem = simulatorConfigProblem(parsed);
  if (problem) throw new ConfigError(`simulator config ${path}: ${problem}`);
  return parsed as SimulatorConfigInput;
}
