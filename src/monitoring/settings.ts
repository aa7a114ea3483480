import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { integerFromEnv } from '../env-integer.js';
import { ConfigError } from '../errors.js';
import { PING_URL_VARIABLE, validatePingUrl } from './ping-url.js';

export const METRICS_FILE_VARIABLE = 'ARCADIA_METRICS_FILE';

/** The metrics file's folder is missing or not a folder: found before the run, not after it. */
export class MetricsFolderError extends ConfigError {
  constructor(readonly folder: string) {
    super(`the metrics file's folder ${folder} does not exist or is not a folder`, METRICS_FILE_VARIABLE);
  }
}

export interface PingSettings {
  url: URL;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

/** What a snapshot run reports to monitoring: either may be absent. */
export interface MonitoringSettings {
  metricsFile: string | undefined;
  ping: PingSettings | undefined;
}

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

/** The flags over the variables, every value checked before the run starts (a ConfigError, exit 4). */
export function monitoringSettings(
  flags: { metricsFile?: string; ping?: string },
  env: NodeJS.ProcessEnv,
): MonitoringSettings {
  const metricsPath = flags.metricsFile ?? present(env[METRICS_FILE_VARIABLE]);
  let metricsFile: string | undefined;
  if (metricsPath !== undefined) {
    metricsFile = resolve(metricsPath);
    const folder = dirname(metricsFile);
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new MetricsFolderError(folder);
  }
  const pingRaw = flags.ping ?? present(env[PING_URL_VARIABLE]);
  const ping =
    pingRaw === undefined
      ? undefined
      : {
          url: validatePingUrl(pingRaw, flags.ping !== undefined ? '--ping' : PING_URL_VARIABLE),
          timeoutMs: integerFromEnv(env, 'ARCADIA_PING_TIMEOUT_MS', 5_000, 1),
          retries: integerFromEnv(env, 'ARCADIA_PING_RETRIES', 2, 0, 10),
          retryDelayMs: integerFromEnv(env, 'ARCADIA_PING_RETRY_MS', 1_000, 0),
        };
  return { metricsFile, ping };
}
