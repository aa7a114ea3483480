import { planRun, type RunPlan, type Scenario } from './plan.js';
import { executeRun, type FaultCounts, type RunOptions, type RunOutcome } from './run.js';
import { isViolation, type Violation } from './invariants.js';
import { startChaosDatabaseServer, type ChaosDatabaseServer } from './database.js';

export interface ChaosOptions {
  runs: number;
  /** Run i uses seed `seed + i`, so any one run replays with `--seed <its seed> --runs 1`. */
  seed: number;
  /** Runs at once, each with its own simulator and ledger. */
  concurrency: number;
  scenarios: readonly Scenario[];
  keepAll?: boolean;
  /** Count sagas that ended compensation_failed as violations too. */
  strict?: boolean;
  /** Every run on a fresh PostgreSQL database with two hosts (`--postgres`); SQLite and one host otherwise. */
  postgres?: boolean;
}

export interface SeededViolation extends Violation {
  seed: number;
  keptAt: string | null;
}

export interface ChaosSummary {
  runs: number;
  firstSeed: number;
  lastSeed: number;
  scenarios: Record<Scenario, number>;
  sagas: Record<string, number>;
  kills: { total: number; timer: number; failpoint: number; duringResume: number };
  resumes: number;
  intrusions: number;
  /** Runs whose first command was SIGSTOPped, taken over and SIGCONTed. */
  pauses: number;
  faults: FaultCounts;
  requests: number;
  /** Arcadia processes run per host id, over all runs (`local` on SQLite, `chaos-a` and `chaos-b` on PostgreSQL). */
  hosts: Record<string, number>;
  /** Runs under a scaled hourly quota with a reserve (ARCADIA_RATE_RESERVE set by the plan). */
  quotaRuns: number;
  /**
   * Over those runs, the lowest hourly count arcadia's requests left, less the reserve: negative only where the
   * background consumer or a process's blind first request took it (the quota-reserve rule says which).
   */
  lowestAboveReserve: number | undefined;
  violations: SeededViolation[];
  /** Findings that page a human without breaking a promise (compensation_failed); violations under --strict. */
  attention: SeededViolation[];
  ms: number;
}

function emptyFaults(): FaultCounts {
  return {
    total: 0,
    serverErrors: 0,
    droppedReplies: 0,
    errorsAfterEffect: 0,
    slowReplies: 0,
    erroredActions: 0,
    rateLimited: 0,
  };
}

export function summarize(
  outcomes: RunOutcome[],
  options: Pick<ChaosOptions, 'seed' | 'runs' | 'strict'>,
  ms: number,
): ChaosSummary {
  const summary: ChaosSummary = {
    runs: outcomes.length,
    firstSeed: options.seed,
    lastSeed: options.seed + options.runs - 1,
    scenarios: { single: 0, batch: 0, smoke: 0, restore: 0, drill: 0 },
    sagas: {},
    kills: { total: 0, timer: 0, failpoint: 0, duringResume: 0 },
    resumes: 0,
    intrusions: 0,
    pauses: 0,
    faults: emptyFaults(),
    requests: 0,
    hosts: {},
    quotaRuns: 0,
    lowestAboveReserve: undefined,
    violations: [],
    attention: [],
    ms,
  };
  for (const run of [...outcomes].sort((a, b) => a.plan.seed - b.plan.seed)) {
    summary.scenarios[run.plan.scenario] += 1;
    for (const [status, n] of Object.entries(run.sagas)) summary.sagas[status] = (summary.sagas[status] ?? 0) + n;
    summary.kills.timer += run.kills.timer;
    summary.kills.failpoint += run.kills.failpoint;
    summary.kills.duringResume += run.resumeKills;
    summary.resumes += run.resumes;
    if (run.paused) summary.pauses += 1;
    if (
      run.intrusion !== null &&
      !run.intrusion.includes('already over') &&
      !run.intrusion.includes('nothing in flight')
    )
      summary.intrusions += 1;
    for (const key of Object.keys(summary.faults) as (keyof FaultCounts)[]) summary.faults[key] += run.faults[key];
    summary.requests += run.requests;
    for (const [host, n] of Object.entries(run.hostProcesses)) summary.hosts[host] = (summary.hosts[host] ?? 0) + n;
    const { lowestRemaining, reserve } = run.quota;
    if (run.plan.env.ARCADIA_RATE_RESERVE !== undefined && lowestRemaining !== undefined && reserve !== undefined) {
      summary.quotaRuns += 1;
      summary.lowestAboveReserve = Math.min(summary.lowestAboveReserve ?? Infinity, lowestRemaining - reserve);
    }
    for (const v of run.violations)
      (isViolation(v, options) ? summary.violations : summary.attention).push({
        ...v,
        seed: run.plan.seed,
        keptAt: run.keptAt,
      });
  }
  summary.kills.total = summary.kills.timer + summary.kills.failpoint;
  return summary;
}

/** A run the harness itself could not carry out (no port, no temporary folder): reported, never silently passed. */
function harnessFailure(plan: RunPlan, error: unknown): RunOutcome {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    plan,
    violations: [{ rule: 'process', message: `the chaos harness failed: ${message}` }],
    kills: { timer: 0, failpoint: 0 },
    resumeKills: 0,
    resumes: 0,
    faults: emptyFaults(),
    sagas: {},
    intrusion: null,
    paused: false,
    requests: 0,
    quota: { lowestRemaining: undefined, reserve: undefined },
    hostProcesses: {},
    database: null,
    ms: 0,
    keptAt: null,
  };
}

/**
 * Runs `options.runs` seeded runs, `concurrency` at a time; `onRun` hears of each as it ends. With `postgres`, one
 * server serves the whole chaos run (ARCADIA_CHAOS_DATABASE_URL's, else a private one stopped at the end).
 */
export async function runChaos(options: ChaosOptions, onRun?: (outcome: RunOutcome) => void): Promise<ChaosSummary> {
  const started = Date.now();
  const database = options.postgres ? await startChaosDatabaseServer() : undefined;
  try {
    return await runAll(options, database, started, onRun);
  } finally {
    await database?.stop();
  }
}

async function runAll(
  options: ChaosOptions,
  database: ChaosDatabaseServer | undefined,
  started: number,
  onRun?: (outcome: RunOutcome) => void,
): Promise<ChaosSummary> {
  const plans: RunPlan[] = Array.from({ length: options.runs }, (_, i) => planRun(options.seed + i, options.scenarios));
  const outcomes: RunOutcome[] = [];
  const runOptions: RunOptions = {
    keepAll: options.keepAll ?? false,
    strict: options.strict ?? false,
    ...(database ? { database } : {}),
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plans.length) {
      const plan = plans[next++] as RunPlan;
      const outcome = await executeRun(plan, runOptions).catch((error: unknown) => harnessFailure(plan, error));
      outcomes.push(outcome);
      onRun?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, plans.length)) }, worker));
  return summarize(outcomes, options, Date.now() - started);
}
