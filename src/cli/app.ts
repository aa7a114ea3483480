import { join } from 'node:path';
import { loadSettings, type Settings } from '../config.js';
import { openLedgerDatabase, ledgerPath } from '../db/open.js';
import { SqliteSagaLedger } from '../db/sqlite-ledger.js';
import { systemClock, type Clock } from '../engine/clock.js';
import { currentProcessIdentity } from '../engine/process-identity.js';
import { SagaRunner, type RunnerProgress } from '../engine/runner.js';
import type { StepRegistry } from '../engine/step.js';
import { buildStepRegistry } from '../sagas/registry.js';
import type { OutputStreams } from '../output/output.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';

/** What every command may need; built lazily so `--help` and bad input never touch the ledger. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  streams: OutputStreams;
  clock: Clock;
  /** Overrides how the DigitalOcean client is made (a batch shares one, so its rate-limit pacing covers all sagas). */
  createClient?: () => DigitalOceanClient;
}

/** An open ledger plus what runs sagas on it. Close it when the command ends. */
export interface App {
  settings: Settings;
  ledger: SqliteSagaLedger;
  registry: StepRegistry;
  clock: Clock;
  api(): DigitalOceanClient;
  ledgerPath: string;
  locksDir: string;
  runner(onProgress?: (progress: RunnerProgress) => void): SagaRunner;
  close(): void;
}

export interface OpenAppOptions {
  /** Commands that only read the ledger (list, show) skip loading the HTTP client: start-up time is theirs. */
  needsProvider?: boolean;
}

export async function openApp(ctx: CliContext, options: OpenAppOptions = {}): Promise<App> {
  const settings = loadSettings(ctx.env);
  const clientModule = options.needsProvider === false ? undefined : await import('../digitalocean/client.js');
  const path = ledgerPath(settings.home);
  const db = openLedgerDatabase({ home: settings.home, busyTimeoutMs: settings.busyTimeoutMs });
  const ledger = new SqliteSagaLedger(db, path, settings.busyTimeoutMs);
  let client: DigitalOceanClient | undefined;
  const api = (): DigitalOceanClient => {
    if (!clientModule) throw new Error('this command does not talk to DigitalOcean');
    client ??= ctx.createClient?.() ?? clientModule.createDigitalOceanClient(clientModule.clientOptionsFromEnv(ctx.env));
    return client;
  };
  const registry = buildStepRegistry({ settings, api, snapshotHistory: (dropletId) => ledger.snapshotDurations(dropletId) });
  const locksDir = join(settings.home, 'locks');
  const identity = currentProcessIdentity();
  return {
    settings,
    ledger,
    registry,
    clock: ctx.clock,
    api,
    ledgerPath: path,
    locksDir,
    runner: (onProgress) =>
      new SagaRunner({
        ledger,
        registry,
        clock: ctx.clock,
        lock: { locksDir, staleMs: settings.lockStaleMs, identity },
        heartbeatMs: settings.heartbeatMs,
        retry: { attempts: settings.stepRetryAttempts, baseMs: settings.retryBaseMs, maxMs: Math.max(settings.retryBaseMs, 30_000) },
        maxRecoveryAttempts: settings.maxRecoveryAttempts,
        ...(onProgress ? { onProgress } : {}),
      }),
    close: () => ledger.close(),
  };
}
