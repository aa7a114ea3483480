import { join } from 'node:path';
import { loadSettings, type Settings } from '../config.js';
import { ledgerTargetFromEnv } from '../db/database-url.js';
import { openLedgerDatabase, ledgerPath } from '../db/open.js';
import { SqliteSagaLedger } from '../db/sqlite-ledger.js';
import type { ArcadiaLedger } from '../db/ledger.js';
import type { Clock } from '../engine/clock.js';
import type { SagaLeases } from '../engine/lease.js';
import { lockFileLeases } from '../engine/lock-file-leases.js';
import { currentProcessIdentity } from '../engine/process-identity.js';
import type { RunnerProgress, SagaRunner } from '../engine/runner.js';
import type { StepRegistry } from '../engine/step.js';
import type { OutputStreams } from '../output/output.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import type { SnapshotWatcher } from '../sagas/snapshot/fleet-watcher.js';

/** What every command may need; built lazily so `--help` and bad input never touch the ledger. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  streams: OutputStreams;
  clock: Clock;
  /** Overrides how the DigitalOcean client is made (a batch shares one, so its rate-limit pacing covers all sagas). */
  createClient?: () => DigitalOceanClient;
  /** Aborted (with an InterruptedError) on SIGINT or SIGTERM: runners and pools stop, and say what is unfinished. */
  stop?: AbortSignal;
  /** The umask arcadia was started with, before it narrowed its own: the metrics file's mode follows it. */
  userUmask?: number;
}

/** An open ledger: all that reading commands (`saga list`, `saga show`) need. Close it when the command ends. */
export interface LedgerApp {
  settings: Settings;
  ledger: ArcadiaLedger;
  /** Who owns which saga and batch: leases in the PostgreSQL ledger, or lock files beside the SQLite one. */
  leases: SagaLeases;
  clock: Clock;
  /** The SQLite file, or the PostgreSQL database as `host:port/dbname` (never a password). */
  ledgerPath: string;
  locksDir: string;
  close(): Promise<void>;
}

/** An open ledger plus what runs sagas on it and talks to DigitalOcean. */
export interface App extends LedgerApp {
  registry: StepRegistry;
  api(): DigitalOceanClient;
  /** Requests the client sent so far; 0 when none was made (nothing asked the API). */
  apiRequestsSent(): number;
  runner(onProgress?: (progress: RunnerProgress) => void): SagaRunner;
  /** The process-wide stop (CliContext.stop): pools start nothing once it has aborted. */
  stop: AbortSignal | undefined;
  /** Makes the snapshot steps of this process wait and look through `watcher` (a batch's), or not (undefined). */
  useSnapshotWatcher(watcher: SnapshotWatcher | undefined): void;
}

/**
 * The ledger ARCADIA_DATABASE_URL selects (PostgreSQL), else the home's SQLite file, with the ownership that fits
 * it: leases held in the database, which every host sees, or lock files beside the SQLite file. The PostgreSQL
 * code is loaded only when selected: a SQLite user's commands do not pay for the driver at start-up.
 */
async function openLedger(
  ctx: CliContext,
  settings: Settings,
  readOnly: boolean,
): Promise<{ ledger: ArcadiaLedger; leases: SagaLeases; location: string }> {
  const target = ledgerTargetFromEnv(ctx.env);
  const identity = currentProcessIdentity(settings.hostId);
  const { lockStaleMs: staleMs, heartbeatMs } = settings;
  if (target.backend === 'postgres') {
    const [{ PgSagaLedger }, { DatabaseLeases }] = await Promise.all([
      import('../db/pg-ledger.js'),
      import('../db/database-leases.js'),
    ]);
    const ledger = await PgSagaLedger.open(target);
    return {
      ledger,
      leases: new DatabaseLeases(ledger, { staleMs, heartbeatMs, identity }),
      location: target.location,
    };
  }
  const path = ledgerPath(settings.home);
  const db = openLedgerDatabase({ home: settings.home, busyTimeoutMs: settings.busyTimeoutMs, readOnly });
  const ledger = new SqliteSagaLedger(db, path, settings.busyTimeoutMs);
  const locksDir = join(settings.home, 'locks');
  const leases = lockFileLeases(ledger, { locksDir, staleMs, heartbeatMs, clock: ctx.clock, identity });
  return { ledger, leases, location: path };
}

/**
 * Opens the ledger only: reading commands do not load the runner, the steps or the HTTP client (start-up time).
 * `readOnly`: the command only reads, so it creates and converts nothing (see openLedgerDatabase).
 */
export async function openLedgerApp(ctx: CliContext, options: { readOnly?: boolean } = {}): Promise<LedgerApp> {
  const settings = loadSettings(ctx.env);
  const { ledger, leases, location } = await openLedger(ctx, settings, options.readOnly === true);
  return {
    settings,
    ledger,
    leases,
    clock: ctx.clock,
    ledgerPath: location,
    locksDir: join(settings.home, 'locks'),
    close: () => ledger.close(),
  };
}

/** `readOnly`: for commands that only read the ledger (reconcile without --delete); see openLedgerApp. */
export async function openApp(ctx: CliContext, options: { readOnly?: boolean } = {}): Promise<App> {
  const [clientModule, { buildStepRegistry }, { SagaRunner }] = await Promise.all([
    import('../digitalocean/client.js'),
    import('../sagas/registry.js'),
    import('../engine/runner.js'),
  ]);
  // Read before anything opens: a nonsensical ARCADIA_RATE_RESERVE (or another client setting) stops the command
  // before any saga runs, instead of halting the first step that needs the API.
  const clientOptions = ctx.createClient ? undefined : clientModule.clientOptionsFromEnv(ctx.env);
  const base = await openLedgerApp(ctx, options);
  const { settings, ledger, leases } = base;
  let client: DigitalOceanClient | undefined;
  const api = (): DigitalOceanClient => {
    client ??= ctx.createClient?.() ?? clientModule.createDigitalOceanClient(clientOptions ?? {});
    return client;
  };
  let snapshotWatcher: SnapshotWatcher | undefined;
  const registry = buildStepRegistry({
    settings,
    api,
    snapshotHistory: (dropletId, diskGigabytes) => ledger.snapshotDurations(dropletId, diskGigabytes),
    snapshotWatcher: () => snapshotWatcher,
  });
  return {
    ...base,
    registry,
    api,
    apiRequestsSent: () => client?.requestsSent ?? 0,
    stop: ctx.stop,
    useSnapshotWatcher: (watcher) => {
      snapshotWatcher = watcher;
    },
    runner: (onProgress) =>
      new SagaRunner({
        ledger,
        registry,
        clock: ctx.clock,
        leases,
        heartbeatMs: settings.heartbeatMs,
        staleMs: settings.lockStaleMs,
        retry: {
          attempts: settings.stepRetryAttempts,
          baseMs: settings.retryBaseMs,
          maxMs: Math.max(settings.retryBaseMs, 30_000),
        },
        maxRecoveryAttempts: settings.maxRecoveryAttempts,
        ...(onProgress ? { onProgress } : {}),
        ...(ctx.stop ? { stop: ctx.stop } : {}),
      }),
  };
}
