import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SIMULATOR_TOKEN,
  startSimulator,
  type RunningSimulator,
  type SimulatorState,
} from '../../src/simulator/index.js';
import { isTerminal } from '../../src/engine/types.js';
import { supersededRequests } from './fencing.js';
import { checkInvariants, isViolation, type CheckedSaga, type Violation } from './invariants.js';
import type { ChaosDatabaseServer, RunDatabase } from './database.js';
import { readLedger, type LedgerSource } from './ledger.js';
import { quotaReserveViolations } from './quota.js';
import { parseRateReserve } from '../../src/digitalocean/rate-reserve.js';
import type { Intruder, RunPlan } from './plan.js';
import { runArcadia, sleep, type ProcessOutcome, type SpawnOptions } from './process.js';

/** `saga resume --all` is repeated until no saga is left unfinished, at most this many times. */
export const MAX_RESUMES = 6;
/**
 * No arcadia process in a chaos run has a reason to live this long: look-ups under 5xx storms take a while, and a
 * drill run drives several restores whose lost-reply look-ups (up to ARCADIA_LOOKUP_ATTEMPTS each, in execution
 * and again in compensation) share a rate limit of a few requests a second (seed 7011 needed over 150 s).
 */
const HANG_MS = 300_000;
/** Background requests this close to one of arcadia's own requests may have been unknown to it (reply in flight). */
const QUOTA_GRACE_MS = 250;
/** After the last resume, snapshot actions still running are given this long to finish before the second look. */
const SETTLE_MS = 3_000;
/** The host ids of a PostgreSQL run: the main command runs on A, every competing process on B. */
export const HOST_A = 'chaos-a';
export const HOST_B = 'chaos-b';
/**
 * How long past a killed owner's stale time a resume on the other host waits: that host sees the owner by its
 * heartbeat only, judged by the database's clock, and the last beat may have landed just before the kill.
 */
const STALE_MARGIN_MS = 300;
/**
 * ARCADIA_DATABASE_QUERY_TIMEOUT_MS of a PostgreSQL run, below the default 30 s: a first command SIGSTOPped inside
 * a transaction keeps its row locks until the server cuts its session after half of this, and its successor waits
 * that long. Every statement of a chaos run on the loopback server takes milliseconds.
 */
const PG_QUERY_TIMEOUT_MS = 10_000;

/**
 * One bastion of a run. On SQLite both hosts are one (one home, one host id); on PostgreSQL each has its own home
 * and ARCADIA_HOST_ID on the run's database, so a host takes over the other's sagas only by the stale heartbeat
 * (pids of another host are never probed).
 */
interface ChaosHost {
  id: string;
  env: NodeJS.ProcessEnv;
  /** When the leases of this host's last killed process go stale for the other host (0: none killed). */
  staleAt: number;
}

export interface FaultCounts {
  /** Everything the simulator injected plus the 429s its rate limiter sent. */
  total: number;
  serverErrors: number;
  droppedReplies: number;
  errorsAfterEffect: number;
  slowReplies: number;
  erroredActions: number;
  rateLimited: number;
}

export interface RunOutcome {
  plan: RunPlan;
  /** Everything the checks found, attention included (the summary tells them apart). */
  violations: Violation[];
  /** SIGKILLs that landed: by our timers, by failpoints. */
  kills: { timer: number; failpoint: number };
  /** How many of those hit a `saga resume` rather than the first command. */
  resumeKills: number;
  resumes: number;
  faults: FaultCounts;
  /** Saga statuses at the end, counted. */
  sagas: Record<string, number>;
  /** What the intruder did, for the per-run line. */
  intrusion: string | null;
  /** Whether the first command was SIGSTOPped, taken over and SIGCONTed. */
  paused: boolean;
  requests: number;
  /** The lowest hourly count arcadia's requests left, and the reserve it had to keep (of the run's quota). */
  quota: { lowestRemaining: number | undefined; reserve: number | undefined };
  /** Processes run per host id (`local` on SQLite; `chaos-a` and `chaos-b` on PostgreSQL). */
  hostProcesses: Record<string, number>;
  /** The run's PostgreSQL database (dropped after, unless the run is kept); null on SQLite. */
  database: string | null;
  ms: number;
  /** Where the run's ledger and simulator state were kept (when it found a violation, or with --keep-homes). */
  keptAt: string | null;
}

export interface RunOptions {
  /** Keep the home (ledger, locks) and a dump of the simulator when the run passes too. */
  keepAll?: boolean;
  /** compensation_failed counts as a violation (and keeps the home) too. */
  strict?: boolean;
  /** PostgreSQL mode: a fresh database of this server per run, two hosts on it. SQLite and one host without. */
  database?: ChaosDatabaseServer;
}

function faultCounts(state: SimulatorState): FaultCounts {
  const label = (prefix: string): number => state.requests.filter((r) => r.fault?.startsWith(prefix)).length;
  const serverErrors = label('serverError:');
  const errorsAfterEffect = label('serverErrorAfterEffect');
  const erroredActions = state.actions.filter((a) => a.status === 'errored').length;
  const droppedReplies = state.counters.droppedReplies;
  const injected = state.counters.faultsInjected;
  return {
    total: injected + state.counters.rateLimited,
    serverErrors,
    droppedReplies,
    errorsAfterEffect,
    erroredActions,
    // A slow reply of an already faulty request is not labelled as slow in the log: count it as what is left.
    slowReplies: Math.max(0, injected - serverErrors - droppedReplies - errorsAfterEffect - erroredActions),
    rateLimited: state.counters.rateLimited,
  };
}

/** Exit codes a process of this kind may end with under chaos; anything else is reported. */
function allowedCodes(args: string[]): number[] {
  if (args[0] === 'saga' && args[1] === 'cancel') return [0, 1, 2, 3, 5]; // 2: it finished before the cancel came
  if (args[0] === 'saga' && args[1] === 'list') return [0];
  return [0, 1, 3, 5];
}

function processViolations(outcome: ProcessOutcome): Violation[] {
  const command = `arcadia ${outcome.args.join(' ')}`;
  const tail = (outcome.stderr.trim().split('\n').slice(-3).join(' | ') || outcome.stdout.trim().slice(-300)).slice(
    -400,
  );
  if (outcome.killedBy === 'hang')
    return [{ rule: 'process', message: `${command} still ran after ${HANG_MS} ms: ${tail}` }];
  if (outcome.signal !== null)
    return outcome.killedBy ? [] : [{ rule: 'process', message: `${command} died of ${outcome.signal}: ${tail}` }];
  if (/"code"\s*:\s*"internal"/.test(outcome.stdout))
    return [{ rule: 'process', message: `${command} failed with an internal error: ${tail}` }];
  if (outcome.code !== null && !allowedCodes(outcome.args).includes(outcome.code)) {
    return [{ rule: 'process', message: `${command} exited ${outcome.code}: ${tail}` }];
  }
  return [];
}

function unfinished(sagas: CheckedSaga[]): CheckedSaga[] {
  return sagas.filter((s) => !isTerminal(s.status));
}

/** A droplet created outside arcadia from a snapshot (as in the control panel), straight to the simulator. */
async function foreignDroplet(sim: RunningSimulator, snapshotId: number): Promise<string> {
  try {
    const reply = await fetch(`${sim.url}/v2/droplets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'console-droplet', size: 's-1vcpu-1gb', image: snapshotId, region: 'nyc3' }),
      signal: AbortSignal.timeout(5000),
    });
    await reply.arrayBuffer();
    return String(reply.status);
  } catch {
    return 'no reply';
  }
}

/** A snapshot taken outside arcadia (as in the control panel), straight to the simulator on 127.0.0.1. */
async function foreignSnapshot(sim: RunningSimulator, dropletId: number): Promise<string> {
  try {
    const reply = await fetch(`${sim.url}/v2/droplets/${dropletId}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'snapshot', name: `console-snapshot-${dropletId}` }),
      signal: AbortSignal.timeout(5000),
    });
    await reply.arrayBuffer();
    return String(reply.status);
  } catch {
    return 'no reply';
  }
}

/**
 * On PostgreSQL a first command SIGSTOPped inside a transaction (a heartbeat, a checkpoint) holds row locks, and
 * the server ends its session once it has idled in the transaction for half the query timeout (the pool's
 * idle_in_transaction_session_timeout, src/db/pg-open.ts): the successor's lock wait then ends and it goes on,
 * while the first command, continued, finds its connection gone and exits 4 with `ledger_unavailable`, as for any
 * database lost mid-saga (resumable, nothing compensated; the saga is the successor's by then). A single command
 * says so as its error's code; a batch or drill as the error of the saga that met it (LedgerUnavailableError's
 * message, naming the run's database).
 */
export function sessionCutWhileStopped(
  main: Pick<ProcessOutcome, 'code' | 'stdout'>,
  paused: boolean,
  database: Pick<RunDatabase, 'target'> | undefined,
): boolean {
  if (!paused || !database || main.code !== 4) return false;
  return (
    /"code"\s*:\s*"ledger_unavailable"/.test(main.stdout) ||
    main.stdout.includes(`"error": "cannot use the ledger at ${database.target.location}: `)
  );
}

/** A process's outcome with the host it ran on. */
type HostedOutcome = ProcessOutcome & { host: string };

/** Runs arcadia on `host`; a process killed there leaves leases the other host may take once they are stale. */
async function runOn(host: ChaosHost, args: string[], options: Omit<SpawnOptions, 'env'>): Promise<HostedOutcome> {
  const outcome = await runArcadia(args, { ...options, env: host.env });
  if (outcome.killedBy !== null) host.staleAt = Date.now() + Number(host.env.ARCADIA_LOCK_STALE_MS) + STALE_MARGIN_MS;
  return { ...outcome, host: host.id };
}

interface Intrusion {
  outcomes: HostedOutcome[];
  what: string | null;
  paused?: boolean;
}

/** The main command's process, for the intruder that signals it. */
interface MainProcess {
  done: Promise<HostedOutcome>;
  child: () => ChildProcess | undefined;
}

/**
 * SIGSTOP the first command `afterMs` after its first request, let `saga resume --all` (on the other host, when
 * there are two) take its sagas over once their locks are stale, then SIGCONT it. Whatever it had decided to send
 * must stay unsent (checked on the log).
 */
async function pauseAndTakeOver(
  afterMs: number,
  plan: RunPlan,
  intruder: ChaosHost,
  sim: RunningSimulator,
  main: MainProcess,
): Promise<Intrusion> {
  const exited = main.done.then(() => undefined);
  await nextRequestOf(sim)(exited);
  const raced = await Promise.race([sleep(afterMs).then(() => 'due' as const), main.done.then(() => 'over' as const)]);
  const child = main.child();
  if (raced === 'over' || !child || child.exitCode !== null || child.signalCode !== null) {
    return { outcomes: [], what: `pause-takeover: first command already over` };
  }
  child.kill('SIGSTOP');
  try {
    await sleep(Number(plan.env.ARCADIA_LOCK_STALE_MS) + 400);
    const successor = await runOn(intruder, ['saga', 'resume', '--all', '--json'], { hangMs: HANG_MS });
    const what = `SIGSTOP ${afterMs} ms after its first request, resume --all, SIGCONT`;
    // On SQLite, stopped inside a ledger transaction, the owner holds the write lock: the successor then waits out
    // the busy timeout and stops with exit 4, as documented (the resumes after the run finish the saga). PostgreSQL
    // never gets here: the server cuts the stopped owner's session (see `sessionCutWhileStopped`), and the
    // successor, whose query timeout is longer, goes on.
    if (
      !intruder.env.ARCADIA_DATABASE_URL &&
      successor.code === 4 &&
      /"code"\s*:\s*"ledger_busy"/.test(successor.stdout)
    ) {
      return { outcomes: [], what: `${what} (the ledger was busy: stopped mid-transaction)`, paused: true };
    }
    return { outcomes: [successor], what, paused: true };
  } finally {
    child.kill('SIGCONT');
  }
}

async function intrude(
  intruder: Intruder,
  plan: RunPlan,
  host: ChaosHost,
  sim: RunningSimulator,
  main: MainProcess,
): Promise<Intrusion> {
  if (intruder.kind === 'none') return { outcomes: [], what: null };
  if (intruder.kind === 'pause-takeover') return pauseAndTakeOver(intruder.afterMs, plan, host, sim, main);
  // Started `afterMs` after the first command, unless that one is over by then.
  const due = sleep(intruder.afterMs).then(() => 'due' as const);
  const raced = await Promise.race([due, main.done.then(() => 'over' as const)]);
  if (raced === 'over') return { outcomes: [], what: `${intruder.kind}: first command already over` };
  if (intruder.kind === 'same-command') {
    return {
      outcomes: [await runOn(host, plan.args, { hangMs: HANG_MS })],
      what: `the same command again at ${intruder.afterMs} ms`,
    };
  }
  if (intruder.kind === 'foreign-snapshot') {
    return {
      outcomes: [],
      what:
        `a console snapshot of droplet ${intruder.dropletId} at ${intruder.afterMs} ms ` +
        `(${await foreignSnapshot(sim, intruder.dropletId)})`,
    };
  }
  if (intruder.kind === 'foreign-droplet') {
    const status = await foreignDroplet(sim, intruder.snapshotId);
    return {
      outcomes: [],
      what: `a console droplet from snapshot ${intruder.snapshotId} at ${intruder.afterMs} ms (${status})`,
    };
  }
  if (intruder.kind === 'resume-all')
    return {
      outcomes: [await runOn(host, ['saga', 'resume', '--all', '--json'], { hangMs: HANG_MS })],
      what: `resume --all at ${intruder.afterMs} ms`,
    };
  const list = await runOn(host, ['saga', 'list', '--json', '--limit', '50'], { hangMs: HANG_MS });
  let target: string | undefined;
  try {
    const sagas = JSON.parse(list.stdout) as { id: string; status: string }[];
    target = sagas.find((s) => s.status === 'running' || s.status === 'pending')?.id;
  } catch {
    target = undefined; // the ledger may not exist yet: nothing to cancel
  }
  if (!target) return { outcomes: [list], what: `cancel at ${intruder.afterMs} ms: nothing in flight` };
  return {
    outcomes: [list, await runOn(host, ['saga', 'cancel', target, '--json'], { hangMs: HANG_MS })],
    what: `cancel at ${intruder.afterMs} ms`,
  };
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => (seen.has(v.message) ? false : (seen.add(v.message), true)));
}

/** Resolves at the simulator's next request after now (or when the process exits first). */
function nextRequestOf(sim: RunningSimulator): (exited: Promise<void>) => Promise<void> {
  const baseline = sim.state().counters.requests;
  return async (exited) => {
    let over = false;
    void exited.then(() => (over = true));
    while (!over && sim.state().counters.requests <= baseline) await sleep(10);
  };
}

async function settle(sim: RunningSimulator): Promise<SimulatorState> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const state = sim.state();
    if (!state.actions.some((a) => a.status === 'in-progress') || Date.now() >= deadline) return state;
    await sleep(50);
  }
}

/** The prelude on host A, then `saga resume --all` there until nothing is left: what the main command builds on. */
async function runPrelude(
  args: string[],
  host: ChaosHost,
  sim: RunningSimulator,
  ledger: LedgerSource,
): Promise<HostedOutcome[]> {
  const outcomes = [await runOn(host, args, { hangMs: HANG_MS })];
  for (let i = 0; i < MAX_RESUMES && unfinished(await readLedger(ledger)).length > 0; i++) {
    outcomes.push(await runOn(host, ['saga', 'resume', '--all', '--json'], { hangMs: HANG_MS }));
  }
  await settle(sim);
  return outcomes;
}

/**
 * Where a run keeps its ledger and who runs on it: on SQLite one home and one host; on PostgreSQL a fresh database
 * of the chaos server and two hosts, each with its own home under the run's folder.
 */
function hostsOf(
  plan: RunPlan,
  root: string,
  sim: RunningSimulator,
  database: RunDatabase | undefined,
): { a: ChaosHost; b: ChaosHost; ledger: LedgerSource } {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NO_COLOR: '1',
    ARCADIA_API_URL: sim.url,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ...plan.env,
  };
  if (!database) {
    const host: ChaosHost = { id: 'local', env: { ...base, ARCADIA_HOME: root }, staleAt: 0 };
    return { a: host, b: host, ledger: { backend: 'sqlite', home: root } };
  }
  const host = (id: string): ChaosHost => {
    const home = join(root, id);
    mkdirSync(home);
    return {
      id,
      env: {
        ...base,
        ARCADIA_HOME: home,
        ARCADIA_HOST_ID: id,
        ARCADIA_DATABASE_URL: database.url,
        ARCADIA_DATABASE_QUERY_TIMEOUT_MS: String(PG_QUERY_TIMEOUT_MS),
      },
      staleAt: 0,
    };
  };
  return { a: host(HOST_A), b: host(HOST_B), ledger: { backend: 'postgres', target: database.target } };
}

/**
 * `saga resume --all` until nothing is left, the first resume crashed as planned. With two hosts the resumes
 * alternate, B first: a host takes the other's sagas over only through the database lease, so a resume waits until
 * the leases of the other host's last killed process are stale (ARCADIA_LOCK_STALE_MS of the plan) rather than
 * being refused and counted as a resume.
 */
async function resumeUntilDone(
  plan: RunPlan,
  hosts: { a: ChaosHost; b: ChaosHost },
  sim: RunningSimulator,
  ledger: LedgerSource,
): Promise<{ outcomes: HostedOutcome[]; resumes: number }> {
  const outcomes: HostedOutcome[] = [];
  let resumes = 0;
  for (;;) {
    const [host, other] = resumes % 2 === 0 ? [hosts.b, hosts.a] : [hosts.a, hosts.b];
    if (host !== other && other.staleAt > Date.now()) await sleep(other.staleAt - Date.now());
    const kill = resumes === 0 ? plan.resumeKill : ({ kind: 'none' } as const);
    outcomes.push(
      await runOn(host, ['saga', 'resume', '--all', '--json'], {
        kill,
        hangMs: HANG_MS,
        firstRequest: nextRequestOf(sim),
      }),
    );
    resumes += 1;
    if (unfinished(await readLedger(ledger)).length === 0 || resumes >= MAX_RESUMES) break;
  }
  return { outcomes, resumes };
}

/** What a kept run leaves for whoever looks into it: never a password (the database is named, not its URL). */
function keepRun(
  root: string,
  plan: RunPlan,
  settled: SimulatorState,
  processes: HostedOutcome[],
  sagas: CheckedSaga[],
  database: RunDatabase | undefined,
): void {
  writeFileSync(join(root, 'chaos-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  writeFileSync(join(root, 'simulator-state.json'), `${JSON.stringify(settled, null, 2)}\n`);
  writeFileSync(
    join(root, 'processes.log'),
    processes
      .map(
        (p) =>
          `$ arcadia ${p.args.join(' ')}${database ? ` (on ${p.host})` : ''}\n# exit ${p.code} signal ${p.signal} ` +
          `killed by ${p.killedBy ?? '-'} after ${p.ms} ms\n${p.stdout}\n--- stderr ---\n${p.stderr}\n`,
      )
      .join('\n'),
  );
  if (database) {
    // The database is kept on the chaos server too, but a private server goes when the chaos run ends.
    writeFileSync(join(root, 'database.txt'), `${database.name} (${database.target.location})\n`);
    writeFileSync(join(root, 'ledger.json'), `${JSON.stringify(sagas, null, 2)}\n`);
  }
}

/** One seeded run: the command under kills and faults, the resumes, then every promise checked. */
export async function executeRun(plan: RunPlan, options: RunOptions = {}): Promise<RunOutcome> {
  const started = Date.now();
  const sim = await startSimulator({ ...plan.sim, requestLogLimit: 200_000 });
  const root = mkdtempSync(join(tmpdir(), 'arcadia-chaos-'));
  let database: RunDatabase | undefined;
  let keptAt: string | null = null;
  try {
    database = await options.database?.createRunDatabase(plan.seed);
    const { a, b, ledger } = hostsOf(plan, root, sim, database);
    const processes: HostedOutcome[] = [];
    if (plan.prelude) processes.push(...(await runPrelude(plan.prelude, a, sim, ledger)));
    let mainChild: ChildProcess | undefined;
    const main = runOn(a, plan.args, {
      kill: plan.kill,
      hangMs: HANG_MS,
      firstRequest: nextRequestOf(sim),
      onSpawn: (child) => (mainChild = child),
    });
    const intrusion = await intrude(plan.intruder, plan, b, sim, { done: main, child: () => mainChild });
    const mainOutcome = await main;
    processes.push(mainOutcome, ...intrusion.outcomes);
    const cut = sessionCutWhileStopped(mainOutcome, intrusion.paused ?? false, database);

    const resumed = await resumeUntilDone(plan, { a, b }, sim, ledger);
    processes.push(...resumed.outcomes);

    // First look: right after the last resume (a rolled-back saga must not leave an action running).
    const sagas = await readLedger(ledger);
    const now = sim.state();
    const checked = cut ? processes.filter((p) => p !== mainOutcome) : processes;
    const violations = [...checked.flatMap(processViolations), ...checkInvariants(sagas, now)];
    // Second look: once in-flight actions completed, nothing may appear that nobody accounts for.
    const settled = await settle(sim);
    const settledSagas = await readLedger(ledger);
    violations.push(...checkInvariants(settledSagas, settled), ...supersededRequests(settled.requests));
    const quota = quotaReserveViolations(settled.quota, {
      reserveFraction: parseRateReserve(plan.env.ARCADIA_RATE_RESERVE),
      blindRequests: processes.length,
      graceMs: QUOTA_GRACE_MS,
    });
    violations.push(...quota.violations);

    const statuses: Record<string, number> = {};
    for (const saga of sagas) statuses[saga.status] = (statuses[saga.status] ?? 0) + 1;
    const hostProcesses: Record<string, number> = {};
    for (const p of processes) hostProcesses[p.host] = (hostProcesses[p.host] ?? 0) + 1;
    const killed = processes.filter((p) => p.killedBy === 'timer' || p.killedBy === 'failpoint');
    const unique = dedupe(violations);
    if (unique.some((v) => isViolation(v, options)) || options.keepAll) {
      keptAt = root;
      keepRun(root, plan, settled, processes, settledSagas, database);
    }
    return {
      plan,
      violations: unique,
      kills: {
        timer: killed.filter((p) => p.killedBy === 'timer').length,
        failpoint: killed.filter((p) => p.killedBy === 'failpoint').length,
      },
      resumeKills: killed.filter((p) => p.args[0] === 'saga' && p.args[1] === 'resume').length,
      resumes: resumed.resumes,
      faults: faultCounts(settled),
      sagas: statuses,
      intrusion: cut
        ? `${intrusion.what} (its database session was cut while stopped mid-transaction)`
        : intrusion.what,
      paused: intrusion.paused ?? false,
      requests: settled.counters.requests,
      quota: { lowestRemaining: quota.lowestRemaining, reserve: quota.reserve },
      hostProcesses,
      database: database?.name ?? null,
      ms: Date.now() - started,
      keptAt,
    };
  } finally {
    await sim.close();
    if (keptAt === null) {
      rmSync(root, { recursive: true, force: true });
      await database?.drop();
    }
  }
}
