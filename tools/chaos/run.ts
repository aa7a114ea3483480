import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator, type SimulatorState } from '../../src/simulator/index.js';
import { isTerminal } from '../../src/engine/types.js';
import { checkInvariants, isViolation, type CheckedSaga, type Violation } from './invariants.js';
import { readLedger } from './ledger.js';
import type { Intruder, RunPlan } from './plan.js';
import { runArcadia, sleep, type ProcessOutcome } from './process.js';

/** `saga resume --all` is repeated until no saga is left unfinished, at most this many times. */
export const MAX_RESUMES = 6;
/** No arcadia process in a chaos run has a reason to live this long (look-ups under 5xx storms take a while). */
const HANG_MS = 150_000;
/** After the last resume, snapshot actions still running are given this long to finish before the second look. */
const SETTLE_MS = 3_000;

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
  requests: number;
  ms: number;
  /** Where the run's ledger and simulator state were kept (when it found a violation, or with --keep-homes). */
  keptAt: string | null;
}

export interface RunOptions {
  /** Keep the home (ledger, locks) and a dump of the simulator when the run passes too. */
  keepAll?: boolean;
  /** compensation_failed counts as a violation (and keeps the home) too. */
  strict?: boolean;
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
  const tail = (outcome.stderr.trim().split('\n').slice(-3).join(' | ') || outcome.stdout.trim().slice(-300)).slice(-400);
  if (outcome.killedBy === 'hang') return [{ rule: 'process', message: `${command} still ran after ${HANG_MS} ms: ${tail}` }];
  if (outcome.signal !== null) return outcome.killedBy ? [] : [{ rule: 'process', message: `${command} died of ${outcome.signal}: ${tail}` }];
  if (/"code"\s*:\s*"internal"/.test(outcome.stdout)) return [{ rule: 'process', message: `${command} failed with an internal error: ${tail}` }];
  if (outcome.code !== null && !allowedCodes(outcome.args).includes(outcome.code)) {
    return [{ rule: 'process', message: `${command} exited ${outcome.code}: ${tail}` }];
  }
  return [];
}

function unfinished(sagas: CheckedSaga[]): CheckedSaga[] {
  return sagas.filter((s) => !isTerminal(s.status));
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

async function intrude(intruder: Intruder, plan: RunPlan, env: NodeJS.ProcessEnv, sim: RunningSimulator, main: Promise<ProcessOutcome>): Promise<{ outcomes: ProcessOutcome[]; what: string | null }> {
  if (intruder.kind === 'none') return { outcomes: [], what: null };
  // Started `afterMs` after the first command, unless that one is over by then.
  const raced = await Promise.race([sleep(intruder.afterMs).then(() => 'due' as const), main.then(() => 'over' as const)]);
  if (raced === 'over') return { outcomes: [], what: `${intruder.kind}: first command already over` };
  if (intruder.kind === 'same-command') {
    return { outcomes: [await runArcadia(plan.args, { env, hangMs: HANG_MS })], what: `the same command again at ${intruder.afterMs} ms` };
  }
  if (intruder.kind === 'foreign-snapshot') {
    return { outcomes: [], what: `a console snapshot of droplet ${intruder.dropletId} at ${intruder.afterMs} ms (${await foreignSnapshot(sim, intruder.dropletId)})` };
  }
  if (intruder.kind === 'resume-all') return { outcomes: [await runArcadia(['saga', 'resume', '--all', '--json'], { env, hangMs: HANG_MS })], what: `resume --all at ${intruder.afterMs} ms` };
  const list = await runArcadia(['saga', 'list', '--json', '--limit', '50'], { env, hangMs: HANG_MS });
  let target: string | undefined;
  try {
    const sagas = JSON.parse(list.stdout) as { id: string; status: string }[];
    target = sagas.find((s) => s.status === 'running' || s.status === 'pending')?.id;
  } catch {
    target = undefined; // the ledger may not exist yet: nothing to cancel
  }
  if (!target) return { outcomes: [list], what: `cancel at ${intruder.afterMs} ms: nothing in flight` };
  return { outcomes: [list, await runArcadia(['saga', 'cancel', target, '--json'], { env, hangMs: HANG_MS })], what: `cancel at ${intruder.afterMs} ms` };
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

/** One seeded run: the command under kills and faults, the resumes, then every promise checked. */
export async function executeRun(plan: RunPlan, options: RunOptions = {}): Promise<RunOutcome> {
  const started = Date.now();
  const sim = await startSimulator({ ...plan.sim, requestLogLimit: 200_000 });
  const home = mkdtempSync(join(tmpdir(), 'arcadia-chaos-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NO_COLOR: '1',
    ARCADIA_HOME: home,
    ARCADIA_API_URL: sim.url,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ...plan.env,
  };
  const processes: ProcessOutcome[] = [];
  let keptAt: string | null = null;
  try {
    const main = runArcadia(plan.args, { env, kill: plan.kill, hangMs: HANG_MS, firstRequest: nextRequestOf(sim) });
    const intrusion = await intrude(plan.intruder, plan, env, sim, main);
    processes.push(await main, ...intrusion.outcomes);

    let resumes = 0;
    for (;;) {
      const kill = resumes === 0 ? plan.resumeKill : ({ kind: 'none' } as const);
      const resumed = await runArcadia(['saga', 'resume', '--all', '--json'], { env, kill, hangMs: HANG_MS, firstRequest: nextRequestOf(sim) });
      processes.push(resumed);
      resumes += 1;
      if (unfinished(readLedger(home)).length === 0 || resumes >= MAX_RESUMES) break;
    }

    // First look: right after the last resume (a rolled-back saga must not leave an action running).
    const sagas = readLedger(home);
    const now = sim.state();
    const violations = [...processes.flatMap(processViolations), ...checkInvariants(sagas, now)];
    // Second look: once in-flight actions completed, nothing may appear that nobody accounts for.
    const settled = await settle(sim);
    violations.push(...checkInvariants(readLedger(home), settled));

    const statuses: Record<string, number> = {};
    for (const saga of sagas) statuses[saga.status] = (statuses[saga.status] ?? 0) + 1;
    const killed = processes.filter((p) => p.killedBy === 'timer' || p.killedBy === 'failpoint');
    const unique = dedupe(violations);
    if (unique.some((v) => isViolation(v, options)) || options.keepAll) {
      keptAt = home;
      writeFileSync(join(home, 'chaos-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
      writeFileSync(join(home, 'simulator-state.json'), `${JSON.stringify(settled, null, 2)}\n`);
      writeFileSync(
        join(home, 'processes.log'),
        processes
          .map((p) => `$ arcadia ${p.args.join(' ')}\n# exit ${p.code} signal ${p.signal} killed by ${p.killedBy ?? '-'} after ${p.ms} ms\n${p.stdout}\n--- stderr ---\n${p.stderr}\n`)
          .join('\n'),
      );
    }
    return {
      plan,
      violations: unique,
      kills: { timer: killed.filter((p) => p.killedBy === 'timer').length, failpoint: killed.filter((p) => p.killedBy === 'failpoint').length },
      resumeKills: killed.filter((p) => p.args[0] === 'saga' && p.args[1] === 'resume').length,
      resumes,
      faults: faultCounts(settled),
      sagas: statuses,
      intrusion: intrusion.what,
      requests: settled.counters.requests,
      ms: Date.now() - started,
      keptAt,
    };
  } finally {
    await sim.close();
    if (keptAt === null) rmSync(home, { recursive: true, force: true });
  }
}
