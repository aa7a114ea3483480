import { homedir } from 'node:os';
import { join } from 'node:path';
import { integerFromEnv } from './env-integer.js';
import { hostIdFromEnv } from './host-id.js';
import { LeaseSettingsError } from './lease-settings-error.js';

/** Every wait and limit arcadia uses, from the environment; all configurable so tests run in seconds. */
export interface Settings {
  home: string;
  /** This host's name in lease records and lock files (ARCADIA_HOST_ID, default the hostname). */
  hostId: string;
  pollIntervalMs: number;
  /** Without a history, each poll waits this percentage of the time already waited (at least the poll interval). */
  pollGrowthPercent: number;
  actionTimeoutMs: number;
  lookupAttempts: number;
  lookupIntervalMs: number;
  shutdownTimeoutMs: number;
  lockStaleMs: number;
  heartbeatMs: number;
  busyTimeoutMs: number;
  httpRetries: number;
  retryBaseMs: number;
  stepRetryAttempts: number;
  maxRecoveryAttempts: number;
  interruptGraceMs: number;
  /** DigitalOcean's limits per volume, checked before a volume snapshot's POST. */
  volumeSnapshotLimit: number;
  volumeSnapshotIntervalMs: number;
  /** How long a restored droplet may take to become active (and to be gone after its delete). */
  restoreTimeoutMs: number;
  /** 404s tolerated from `GET /v2/droplets/{id}` right after a create (ARCHITECTURE.md: it happens). */
  restoreNotFoundChecks: number;
}

/** The heartbeat must fit this many times into the lock's stale time. */
export const MIN_BEATS_PER_STALE_TIME = 3;

export function defaultHome(env: NodeJS.ProcessEnv): string {
  if (env.ARCADIA_HOME) return env.ARCADIA_HOME;
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'arcadia');
}

/**
 * How long an interrupted process may take to stop cleanly before it exits anyway (ARCHITECTURE.md, "Interruptions"
 * promises an exit within 2 seconds). Read by the signal handler too, so it is its own function.
 */
export function interruptGraceMs(env: NodeJS.ProcessEnv): number {
  return integerFromEnv(env, 'ARCADIA_INTERRUPT_GRACE_MS', 1_500, 0);
}

export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const lockStaleMs = integerFromEnv(env, 'ARCADIA_LOCK_STALE_MS', 30_000, MIN_BEATS_PER_STALE_TIME);
  const defaultHeartbeatMs = Math.floor(lockStaleMs / MIN_BEATS_PER_STALE_TIME);
  const heartbeatMs = integerFromEnv(env, 'ARCADIA_HEARTBEAT_MS', defaultHeartbeatMs, 1);
  // An owner must beat several times within the stale time, or a pause of one beat (a busy disk, a loaded machine)
  // makes a live owner look stale to the other hosts that can only judge it by its heartbeat.
  if (heartbeatMs * MIN_BEATS_PER_STALE_TIME > lockStaleMs) {
    throw new LeaseSettingsError(heartbeatMs, lockStaleMs, MIN_BEATS_PER_STALE_TIME);
  }
  return {
    home: defaultHome(env),
    hostId: hostIdFromEnv(env),
    pollIntervalMs: integerFromEnv(env, 'ARCADIA_POLL_INTERVAL_MS', 5_000, 1),
    pollGrowthPercent: integerFromEnv(env, 'ARCADIA_POLL_GROWTH_PERCENT', 12, 1),
    actionTimeoutMs: integerFromEnv(env, 'ARCADIA_ACTION_TIMEOUT_MS', 1_800_000, 1),
    lookupAttempts: integerFromEnv(env, 'ARCADIA_LOOKUP_ATTEMPTS', 12, 1),
    lookupIntervalMs: integerFromEnv(env, 'ARCADIA_LOOKUP_INTERVAL_MS', 5_000, 0),
    shutdownTimeoutMs: integerFromEnv(env, 'ARCADIA_SHUTDOWN_TIMEOUT_MS', 120_000, 0),
    lockStaleMs,
    heartbeatMs,
    busyTimeoutMs: integerFromEnv(env, 'ARCADIA_BUSY_TIMEOUT_MS', 5_000, 0),
    httpRetries: integerFromEnv(env, 'ARCADIA_HTTP_RETRIES', 5, 0),
    retryBaseMs: integerFromEnv(env, 'ARCADIA_RETRY_BASE_MS', 1_000, 0),
    stepRetryAttempts: integerFromEnv(env, 'ARCADIA_STEP_ATTEMPTS', 3, 1),
    maxRecoveryAttempts: integerFromEnv(env, 'ARCADIA_MAX_RECOVERY_ATTEMPTS', 5, 1),
    interruptGraceMs: interruptGraceMs(env),
    volumeSnapshotLimit: integerFromEnv(env, 'ARCADIA_VOLUME_SNAPSHOT_LIMIT', 25, 1),
    volumeSnapshotIntervalMs: integerFromEnv(env, 'ARCADIA_VOLUME_SNAPSHOT_INTERVAL_MS', 600_000, 0),
    restoreTimeoutMs: integerFromEnv(env, 'ARCADIA_RESTORE_TIMEOUT_MS', 3_600_000, 1),
    restoreNotFoundChecks: integerFromEnv(env, 'ARCADIA_RESTORE_NOT_FOUND_CHECKS', 60, 0),
  };
}
