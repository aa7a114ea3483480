import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors.js';

/** Every wait and limit arcadia uses, from the environment; all configurable so tests run in seconds. */
export interface Settings {
  home: string;
  pollIntervalMs: number;
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
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer of at least ${min}, got "${raw.slice(0, 40)}"`, name);
  }
  return value;
}

export function defaultHome(env: NodeJS.ProcessEnv): string {
  if (env.ARCADIA_HOME) return env.ARCADIA_HOME;
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'arcadia');
}

/**
 * How long an interrupted process may take to stop cleanly before it exits anyway (DESIGN.md section 16 promises
 * an exit within 2 seconds). Read by the signal handler too, so it is its own function.
 */
export function interruptGraceMs(env: NodeJS.ProcessEnv): number {
  return intFrom(env, 'ARCADIA_INTERRUPT_GRACE_MS', 1_500, 0);
}

export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const lockStaleMs = intFrom(env, 'ARCADIA_LOCK_STALE_MS', 30_000, 1);
  return {
    home: defaultHome(env),
    pollIntervalMs: intFrom(env, 'ARCADIA_POLL_INTERVAL_MS', 5_000, 1),
    actionTimeoutMs: intFrom(env, 'ARCADIA_ACTION_TIMEOUT_MS', 1_800_000, 1),
    lookupAttempts: intFrom(env, 'ARCADIA_LOOKUP_ATTEMPTS', 12, 1),
    lookupIntervalMs: intFrom(env, 'ARCADIA_LOOKUP_INTERVAL_MS', 5_000, 0),
    shutdownTimeoutMs: intFrom(env, 'ARCADIA_SHUTDOWN_TIMEOUT_MS', 120_000, 0),
    lockStaleMs,
    heartbeatMs: intFrom(env, 'ARCADIA_HEARTBEAT_MS', Math.max(1, Math.floor(lockStaleMs / 3)), 1),
    busyTimeoutMs: intFrom(env, 'ARCADIA_BUSY_TIMEOUT_MS', 5_000, 0),
    httpRetries: intFrom(env, 'ARCADIA_HTTP_RETRIES', 5, 0),
    retryBaseMs: intFrom(env, 'ARCADIA_RETRY_BASE_MS', 1_000, 0),
    stepRetryAttempts: intFrom(env, 'ARCADIA_STEP_ATTEMPTS', 3, 1),
    maxRecoveryAttempts: intFrom(env, 'ARCADIA_MAX_RECOVERY_ATTEMPTS', 5, 1),
    interruptGraceMs: interruptGraceMs(env),
  };
}
