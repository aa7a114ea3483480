import { integerFromEnv } from '../env-integer.js';
import { VERSION } from '../version.js';
import { DEFAULT_API_URL } from './api-url.js';
import { DEFAULT_MAX_PAGES } from './pagination.js';
import { parseRateReserve, RATE_RESERVE_VARIABLE } from './rate-reserve.js';
import { DEFAULT_MAX_REPLY_BYTES } from './reply-body.js';
import type { RetryNotice } from './transport.js';

export interface DigitalOceanClientOptions {
  /** Validated by createDigitalOceanClient: https, or http on loopback only. Default https://api.digitalocean.com. */
  apiUrl?: string;
  /** For writes (action POSTs, snapshot deletes). */
  provisioningToken?: string;
  /** For reads; may be a read-only token. Defaults to the provisioning token. */
  readToken?: string;
  /** The variables the tokens came from, so a rejection names what to fix. Default the ARCADIA_* names. */
  tokenVariables?: { provisioning?: string; read?: string };
  /** Retries after the first attempt for GET/DELETE transient failures and for 429s. Default 5. */
  retries?: number;
  /** First backoff; doubles per retry. Default 1000. */
  retryBaseMs?: number;
  /** Backoff cap. Default 30000. */
  retryMaxMs?: number;
  /** Per-request timeout. Default 30000. */
  timeoutMs?: number;
  /** The largest reply body read (a bigger one is an error). Default 16 MiB. */
  maxReplyBytes?: number;
  /** The most pages one listing may have (more is an error). Default 250. */
  maxPages?: number;
  /**
   * Client-side budget in any sliding minute, shared by everything using this client. Default 250 (DigitalOcean's burst
   * limit).
   */
  requestsPerMinute?: number;
  /** The window `requestsPerMinute` counts over (default a minute); tests shorten it. */
  rateWindowMs?: number;
  /**
   * The share of the token's hourly quota (0 to 0.99) this client never spends, left to the other tools using the
   * token. Default 0.2 (ARCADIA_RATE_RESERVE).
   */
  rateReserve?: number;
  /** The hourly quota's window (an hour), for estimates only: the bench and tests run it scaled down. */
  quotaWindowMs?: number;
  /** The longest wait a 429's or the rate-limit headers can impose at once. Default 300000. */
  maxRateLimitWaitMs?: number;
  /** Default `arcadia/<version>`. */
  userAgent?: string;
  /** Rejects with the signal's reason when it aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** For retry jitter, in [0, 1). */
  random?: () => number;
  /** Called before the client waits on purpose to stay under the rate limit. */
  onThrottle?: (waitMs: number, reason: string) => void;
  /** Called before a failed request is retried. */
  onRetry?: (notice: RetryNotice) => void;
}

export const CLIENT_DEFAULTS = {
  apiUrl: DEFAULT_API_URL,
  retries: 5,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  timeoutMs: 30_000,
  maxReplyBytes: DEFAULT_MAX_REPLY_BYTES,
  maxPages: DEFAULT_MAX_PAGES,
  requestsPerMinute: 250,
  rateWindowMs: 60_000,
  quotaWindowMs: 3_600_000,
  maxRateLimitWaitMs: 300_000,
  userAgent: `arcadia/${VERSION}`,
} as const;

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Client options from the environment. Tokens: writes use ARCADIA_PROVISIONING_TOKEN, else DIGITALOCEAN_ACCESS_TOKEN;
 * reads use ARCADIA_READ_TOKEN, else DIGITALOCEAN_ACCESS_TOKEN, else the provisioning token.
 */
export function clientOptionsFromEnv(env: NodeJS.ProcessEnv): DigitalOceanClientOptions {
  const access = present(env.DIGITALOCEAN_ACCESS_TOKEN);
  const provisioning = present(env.ARCADIA_PROVISIONING_TOKEN);
  const read = present(env.ARCADIA_READ_TOKEN);
  const retryBaseMs = integerFromEnv(env, 'ARCADIA_RETRY_BASE_MS', CLIENT_DEFAULTS.retryBaseMs, 0);
  return {
    apiUrl: present(env.ARCADIA_API_URL) ?? CLIENT_DEFAULTS.apiUrl,
    provisioningToken: provisioning ?? access,
    readToken: read ?? access ?? provisioning,
    tokenVariables: {
      provisioning: provisioning ? 'ARCADIA_PROVISIONING_TOKEN' : 'DIGITALOCEAN_ACCESS_TOKEN',
      read: read ? 'ARCADIA_READ_TOKEN' : access ? 'DIGITALOCEAN_ACCESS_TOKEN' : 'ARCADIA_PROVISIONING_TOKEN',
    },
    retries: integerFromEnv(env, 'ARCADIA_HTTP_RETRIES', CLIENT_DEFAULTS.retries, 0),
    retryBaseMs,
    retryMaxMs: Math.max(CLIENT_DEFAULTS.retryMaxMs, retryBaseMs),
    timeoutMs: integerFromEnv(env, 'ARCADIA_HTTP_TIMEOUT_MS', CLIENT_DEFAULTS.timeoutMs, 1),
    maxReplyBytes: integerFromEnv(env, 'ARCADIA_MAX_REPLY_BYTES', CLIENT_DEFAULTS.maxReplyBytes, 1024),
    maxPages: integerFromEnv(env, 'ARCADIA_MAX_PAGES', CLIENT_DEFAULTS.maxPages, 1),
    requestsPerMinute: integerFromEnv(env, 'ARCADIA_RATE_LIMIT_PER_MINUTE', CLIENT_DEFAULTS.requestsPerMinute, 1),
    rateWindowMs: integerFromEnv(env, 'ARCADIA_RATE_LIMIT_WINDOW_MS', CLIENT_DEFAULTS.rateWindowMs, 1),
    rateReserve: parseRateReserve(env[RATE_RESERVE_VARIABLE]),
    quotaWindowMs: integerFromEnv(env, 'ARCADIA_RATE_QUOTA_WINDOW_MS', CLIENT_DEFAULTS.quotaWindowMs, 1),
    userAgent: CLIENT_DEFAULTS.userAgent,
  };
}
